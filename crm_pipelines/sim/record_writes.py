"""Client writes through the REST API: parsing, Salesforce's validations, and all-or-none batches.

A batch plans every record first (checking it against the org and against the batch's earlier
records) and applies the plans only at commit, so `allOrNone` can drop them all without undoing
anything. A request body that cannot be read at all (an unknown field, a value of the wrong JSON
type) fails the whole request with 400, as Salesforce's deserializer does; everything else is a
per-record result with `statusCode`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from crm_pipelines.sim.ids import is_valid_id
from crm_pipelines.sim.schema import HISTORY_OBJECTS, FieldSpec, SObjectSchema, sobject, sobject_for_id
from crm_pipelines.sim.wire import NUMBER_TYPES, ApiError, format_date, format_datetime
from crm_pipelines.sim.write_log import WriteLogEntry, WriteOperation

if TYPE_CHECKING:
    from crm_pipelines.sim.org_state import OrgState

EXTERNAL_ID_FIELD = "App_External_Id__c"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STRING_TYPES = frozenset({"id", "string", "textarea", "email", "phone", "url", "picklist", "reference"})
# Users are never created through the API here; history rows only by the saves they record.
_NOT_CREATABLE_OBJECTS = frozenset({"User", *HISTORY_OBJECTS})


@dataclass(frozen=True)
class RecordError:
    status_code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": list(self.fields)}


@dataclass(frozen=True)
class WriteResult:
    id: str | None
    errors: tuple[RecordError, ...] = ()
    created: bool | None = None

    @property
    def success(self) -> bool:
        return not self.errors

    def as_json(self, *, with_created: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.id is not None:
            body["id"] = self.id
        body["success"] = self.success
        body["errors"] = [e.as_json() for e in self.errors]
        if with_created:
            body["created"] = bool(self.created) if self.success else False
        return body


# -- reading a request body -------------------------------------------------------------------
def _parser_error(spec: FieldSpec, raw: Any) -> ApiError:
    soap = {"boolean": "boolean", "double": "double", "currency": "double", "percent": "double",
            "int": "int", "date": "date", "datetime": "datetime"}.get(spec.sf_type, "string")
    kind = "VALUE_STRING" if isinstance(raw, str) else "VALUE_NUMBER" if isinstance(raw, int | float) \
        else "START_OBJECT" if isinstance(raw, dict) else "START_ARRAY" if isinstance(raw, list) \
        else "VALUE_TRUE"
    return ApiError(400, "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {soap} from {kind} value {raw} or request may "
                    f"be missing a required field at [line:1, column:1]")


def coerce_value(spec: FieldSpec, raw: Any) -> Any:
    """A JSON value as the plain Python value stored for `spec`, or a 400 JSON_PARSER_ERROR."""
    kind = spec.sf_type
    if raw is None:
        # Salesforce checkboxes are never null; writing null clears them.
        return False if kind == "boolean" else None
    if isinstance(raw, dict | list):
        raise _parser_error(spec, raw)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise _parser_error(spec, raw)
    if kind in NUMBER_TYPES:
        if isinstance(raw, bool):
            raise _parser_error(spec, raw)
        if raw == "":
            return None
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise _parser_error(spec, raw) from None
        if kind == "int" and not number.is_integer():
            raise _parser_error(spec, raw)
        return number
    if kind in ("datetime", "date"):
        if not isinstance(raw, str):
            raise _parser_error(spec, raw)
        if raw == "":
            return None
        try:
            ts = pd.Timestamp(raw)
        except ValueError:
            raise _parser_error(spec, raw) from None
        if kind == "date":
            return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts).normalize()
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    text = str(raw) if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    return text if text != "" else None


def read_fields(schema: SObjectSchema, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(coerced values, the raw JSON values) by canonical field name; `attributes` is skipped."""
    if not isinstance(body, Mapping):
        raise ApiError(400, "JSON_PARSER_ERROR",
                       f"Cannot deserialize instance of {schema.name} from a non-object body")
    values: dict[str, Any] = {}
    raw_values: dict[str, Any] = {}
    for name, raw in body.items():
        if name == "attributes":
            continue
        if not schema.has_field(name):
            raise ApiError(400, "INVALID_FIELD",
                           f"No such column '{name}' on sobject of type {schema.name}")
        spec = schema.field(name)
        values[spec.name] = coerce_value(spec, raw)
        raw_values[spec.name] = raw
    return values, raw_values


def json_ready(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return format_datetime(value) if value.tzinfo is not None else format_date(value)
    return value


# -- checks ---------------------------------------------------------------------------------
def _not_writable(schema: SObjectSchema, values: Mapping[str, Any], creating: bool) -> RecordError | None:
    blocked = [name for name in values
               if name != "Id" and not (schema.field(name).createable if creating
                                        else schema.field(name).updateable)]
    if not blocked:
        return None
    return RecordError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {', '.join(blocked)}. Please check the security settings "
        f"of this field and verify that it is read/write for your profile or permission set.",
        tuple(blocked))


def _missing_required(schema: SObjectSchema, record: Mapping[str, Any],
                      values: Mapping[str, Any], creating: bool) -> RecordError | None:
    if creating:
        missing = [f.name for f in schema.fields if f.required_on_create and record.get(f.name) is None]
    else:
        missing = [name for name, value in values.items()
                   if value is None and not schema.field(name).nillable]
    if not missing:
        return None
    return RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                       tuple(missing))


def _bad_values(schema: SObjectSchema, values: Mapping[str, Any]) -> RecordError | None:
    for name, value in values.items():
        spec = schema.field(name)
        if value is None or spec.sf_type not in _STRING_TYPES or spec.sf_type == "reference":
            continue
        if spec.length and len(value) > spec.length:
            return RecordError("STRING_TOO_LONG",
                               f"{spec.label}: data value too large: {value} (max length={spec.length})",
                               (spec.name,))
        if spec.sf_type == "email" and not _EMAIL.match(value):
            return RecordError("INVALID_EMAIL_ADDRESS", f"{spec.label}: invalid email address: {value}",
                               (spec.name,))
    return None


def _bad_reference(org: OrgState, schema: SObjectSchema, values: Mapping[str, Any]) -> RecordError | None:
    for name, value in values.items():
        spec = schema.field(name)
        if spec.sf_type != "reference" or value is None:
            continue
        target = sobject_for_id(value) if is_valid_id(value) else None
        if target is None:
            return RecordError("MALFORMED_ID", f"{spec.label}: id value of incorrect type: {value}",
                               (spec.name,))
        if target.name not in spec.reference_to:
            return RecordError("FIELD_INTEGRITY_EXCEPTION",
                               f"{spec.label}: id value of incorrect type: {value}", (spec.name,))
        table = org.tables[target.name]
        position = table.position_of(value)
        if position is None:
            return RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (spec.name,))
        if table.value(position, "IsDeleted"):
            return RecordError("ENTITY_IS_DELETED", "entity is deleted", (spec.name,))
        if target.name == "User" and not table.value(position, "IsActive"):
            return RecordError("INACTIVE_OWNER_OR_USER",
                               f"operation performed with inactive user [{value}] as owner of "
                               f"{schema.name.lower()}", (spec.name,))
    return None


def _live_matches(org: OrgState, schema: SObjectSchema, name: str, value: str) -> list[int]:
    table = org.tables[schema.name]
    return [p for p in table.find_unique(name, value) if not table.value(p, "IsDeleted")]


def _rule_failure(org: OrgState, schema: SObjectSchema, record: Mapping[str, Any]) -> RecordError | None:
    for rule in org.validation_rules:
        if rule.sobject == schema.name and rule.rejects(dict(record)):
            return RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, (rule.field,))
    return None


# -- batches --------------------------------------------------------------------------------
@dataclass
class _Plan:
    operation: WriteOperation
    schema: SObjectSchema
    values: dict[str, Any]
    sent: dict[str, Any]
    position: int | None = None
    record_id: str | None = None


@dataclass
class _Item:
    plan: _Plan | None
    errors: tuple[RecordError, ...] = ()
    record_id: str | None = None
    upsert: bool = False


@dataclass
class WriteBatch:
    """Writes of one request, checked one by one and applied together at `commit`."""

    org: OrgState
    user_id: str
    endpoint: str
    method: str
    _items: list[_Item] = field(default_factory=list)
    _staged_unique: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def fail(self, error: RecordError, record_id: str | None = None) -> None:
        self._items.append(_Item(plan=None, errors=(error,), record_id=record_id))

    def create(self, schema: SObjectSchema, values: dict[str, Any], sent: dict[str, Any]) -> None:
        self._items.append(self._plan_create(schema, values, sent))

    def update(self, schema: SObjectSchema | None, record_id: str | None, values: dict[str, Any],
               sent: dict[str, Any]) -> None:
        self._items.append(self._plan_update(schema, record_id, values, sent))

    def upsert(self, schema: SObjectSchema, key_field: FieldSpec, key_value: str | None,
               values: dict[str, Any], sent: dict[str, Any]) -> None:
        self._items.append(self._plan_upsert(schema, key_field, key_value, values, sent))

    def delete(self, record_id: str) -> None:
        self._items.append(self._plan_delete(record_id))

    # -- planning ---------------------------------------------------------------------------
    def _unique_clash(self, schema: SObjectSchema, values: Mapping[str, Any],
                      own_position: int | None) -> RecordError | None:
        for name, value in values.items():
            spec = schema.field(name)
            if not spec.unique or value is None:
                continue
            key = (schema.name, spec.name, str(value).lower())
            if key in self._staged_unique:
                return RecordError("DUPLICATE_VALUE",
                                   f"duplicate value found: {spec.name} duplicates value on record "
                                   f"with id: {self._staged_unique[key]}", (spec.name,))
            others = [p for p in _live_matches(self.org, schema, spec.name, str(value)) if p != own_position]
            if others:
                other_id = self.org.tables[schema.name].value(others[0], "Id")
                return RecordError("DUPLICATE_VALUE",
                                   f"duplicate value found: {spec.name} duplicates value on record "
                                   f"with id: {other_id}", (spec.name,))
        return None

    def _stage_unique(self, schema: SObjectSchema, values: Mapping[str, Any], record_id: str) -> None:
        for name, value in values.items():
            if schema.field(name).unique and value is not None:
                self._staged_unique[(schema.name, name, str(value).lower())] = record_id

    def _first_error(self, schema: SObjectSchema, record: Mapping[str, Any], values: Mapping[str, Any],
                     creating: bool, own_position: int | None) -> RecordError | None:
        return (_not_writable(schema, values, creating)
                or _missing_required(schema, record, values, creating)
                or _bad_values(schema, values)
                or _bad_reference(self.org, schema, values)
                or self._unique_clash(schema, values, own_position)
                or _rule_failure(self.org, schema, record))

    def _plan_create(self, schema: SObjectSchema, values: dict[str, Any], sent: dict[str, Any]) -> _Item:
        if schema.name in _NOT_CREATABLE_OBJECTS:
            return _Item(None, (RecordError("INVALID_TYPE_FOR_OPERATION",
                                            f"entity type {schema.name} does not support insert"),))
        if "Id" in values:
            return _Item(None, (RecordError("INVALID_FIELD", "cannot specify Id in an insert call",
                                            ("Id",)),))
        record = dict(values)
        if schema.has_field("OwnerId") and record.get("OwnerId") is None:
            record["OwnerId"] = self.user_id
        error = self._first_error(schema, record, values, True, None)
        if error:
            return _Item(None, (error,))
        self._stage_unique(schema, values, "<unknown>")
        return _Item(_Plan("create", schema, values, sent))

    def _locate(self, schema: SObjectSchema | None,
                record_id: str | None) -> tuple[SObjectSchema, int] | RecordError:
        if not record_id:
            return RecordError("MISSING_ARGUMENT", "Id not specified in an update call")
        target = sobject_for_id(record_id) if is_valid_id(record_id) else None
        if target is None or (schema is not None and target.name != schema.name):
            label = schema.name if schema is not None else "Record"
            return RecordError("MALFORMED_ID", f"{label} ID: id value of incorrect type: {record_id}",
                               ("Id",))
        table = self.org.tables[target.name]
        position = table.position_of(record_id)
        if position is None:
            return RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if table.value(position, "IsDeleted"):
            return RecordError("ENTITY_IS_DELETED", "entity is deleted")
        return target, position

    def _plan_update(self, schema: SObjectSchema | None, record_id: str | None,
                     values: dict[str, Any], sent: dict[str, Any]) -> _Item:
        located = self._locate(schema, record_id)
        if isinstance(located, RecordError):
            return _Item(None, (located,), record_id=record_id)
        target, position = located
        values = {k: v for k, v in values.items() if k != "Id"}
        return self._plan_update_at(target, position, values, sent)

    def _plan_update_at(self, schema: SObjectSchema, position: int, values: dict[str, Any],
                        sent: dict[str, Any]) -> _Item:
        table = self.org.tables[schema.name]
        record_id = table.value(position, "Id")
        if schema.name == "Lead" and table.value(position, "IsConverted"):
            return _Item(None, (RecordError("CANNOT_UPDATE_CONVERTED_LEAD",
                                            "cannot reference converted lead"),), record_id=record_id)
        record = table.row(position)
        record.update(values)
        error = self._first_error(schema, record, values, False, position)
        if error:
            return _Item(None, (error,), record_id=record_id)
        self._stage_unique(schema, values, record_id)
        return _Item(_Plan("update", schema, values, {k: v for k, v in sent.items() if k != "Id"},
                           position=position, record_id=record_id), record_id=record_id)

    def _plan_upsert(self, schema: SObjectSchema, key_field: FieldSpec, key_value: str | None,
                     values: dict[str, Any], sent: dict[str, Any]) -> _Item:
        if key_field.name == "Id":
            if not key_value:
                item = self._plan_create(schema, {k: v for k, v in values.items() if k != "Id"}, sent)
            else:
                item = self._plan_update(schema, key_value, values, sent)
            item.upsert = True
            return item
        if not key_value:
            return _Item(None, (RecordError("MISSING_ARGUMENT", f"{key_field.name} not specified"),),
                         upsert=True)
        matches = _live_matches(self.org, schema, key_field.name, key_value)
        if len(matches) > 1:
            table = self.org.tables[schema.name]
            ids = ", ".join(table.value(p, "Id") for p in matches)
            return _Item(None, (RecordError(
                "DUPLICATE_EXTERNAL_ID",
                f"more than one record found for external id field: [{ids}]", (key_field.name,)),),
                upsert=True)
        fields = {k: v for k, v in values.items() if k != key_field.name}
        if matches:
            item = self._plan_update_at(schema, matches[0], fields, sent)
        else:
            item = self._plan_create(schema, {**fields, key_field.name: key_value}, sent)
        item.upsert = True
        return item

    def _plan_delete(self, record_id: str) -> _Item:
        located = self._locate(None, record_id)
        if isinstance(located, RecordError):
            return _Item(None, (located,), record_id=record_id)
        target, position = located
        if target.name in _NOT_CREATABLE_OBJECTS:
            return _Item(None, (RecordError("INVALID_TYPE_FOR_OPERATION",
                                            f"entity type {target.name} does not support delete"),),
                         record_id=record_id)
        return _Item(_Plan("delete", target, {}, {}, position=position, record_id=record_id),
                     record_id=record_id)

    # -- committing --------------------------------------------------------------------------
    def commit(self, all_or_none: bool) -> list[WriteResult]:
        failed = any(item.plan is None for item in self._items)
        if all_or_none and failed:
            rolled_back = RecordError(
                "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "Record rolled back because not all records were valid and the request was using "
                "AllOrNone header")
            return [WriteResult(item.record_id, item.errors if item.plan is None else (rolled_back,),
                                created=False if item.upsert else None)
                    for item in self._items]
        stamp = self.org.clock.stamp() if any(item.plan for item in self._items) else None
        results = []
        for item in self._items:
            if item.plan is None:
                results.append(WriteResult(item.record_id, item.errors,
                                           created=False if item.upsert else None))
                continue
            assert stamp is not None
            record_id = self._apply(item.plan, stamp)
            created = item.plan.operation == "create"
            results.append(WriteResult(record_id, (), created=created if item.upsert else None))
        return results

    def _apply(self, plan: _Plan, stamp: pd.Timestamp) -> str:
        org = self.org
        if plan.operation == "create":
            record_id, position = org.insert_record(plan.schema, plan.values, owner_id=self.user_id,
                                                    stamp=stamp, user_id=self.user_id)
        else:
            assert plan.position is not None and plan.record_id is not None
            record_id, position = plan.record_id, plan.position
            changes = {"IsDeleted": True} if plan.operation == "delete" else plan.values
            org.update_record(plan.schema, position, changes, stamp=stamp, user_id=self.user_id)
        table = org.tables[plan.schema.name]
        external_id = table.value(position, EXTERNAL_ID_FIELD) \
            if plan.schema.has_field(EXTERNAL_ID_FIELD) else None
        org.write_log.append(WriteLogEntry(
            time=format_datetime(stamp) or "", method=self.method, endpoint=self.endpoint,
            operation=plan.operation, sobject=plan.schema.name, id=record_id,
            external_id=external_id, fields={k: json_ready(v) for k, v in plan.sent.items()}))
        return record_id


def external_id_field(schema: SObjectSchema, name: str) -> FieldSpec:
    """The field an upsert matches on: an external id field of `schema`, or Id."""
    if not schema.has_field(name):
        raise ApiError(404, "NOT_FOUND",
                       f"Provided external ID field does not exist or is not accessible: {name}")
    spec = schema.field(name)
    if spec.name != "Id" and not spec.external_id:
        raise ApiError(400, "INVALID_FIELD",
                       f"Field name provided, {spec.name} is not an External ID or indexed field "
                       f"for {schema.name}")
    return spec


def schema_for_record(body: Mapping[str, Any], default: SObjectSchema | None = None) -> SObjectSchema:
    """The object of a collection record: its `attributes.type`, which Salesforce requires."""
    attributes = body.get("attributes") if isinstance(body, Mapping) else None
    type_name = attributes.get("type") if isinstance(attributes, Mapping) else None
    if not type_name:
        if default is not None:
            return default
        raise ApiError(400, "INVALID_FIELD", "No SObject Type defined in attributes")
    try:
        schema = sobject(str(type_name))
    except KeyError:
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported.") from None
    if default is not None and schema.name != default.name:
        raise ApiError(400, "INVALID_TYPE",
                       f"Record type {schema.name} does not match the request's type {default.name}")
    return schema

