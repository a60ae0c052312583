"""Record resources: `/sobjects/{T}[/{id}]`, upsert by external id, and `/composite/sobjects`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.record_writes import (
    RecordError,
    WriteBatch,
    WriteResult,
    external_id_field,
    read_fields,
    schema_for_record,
)
from crm_pipelines.sim.schema import SObjectSchema, describe_global, sobject
from crm_pipelines.sim.wire import ApiError, not_found, records_json, sobject_url

MAX_COLLECTION_SIZE = 200
# Upserts answer an update with 200 and a body from API 46.0 on; older versions answer 204.
_UPSERT_BODY_SINCE = 46.0


def not_supported(name: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"The requested resource does not exist: sObject type "
                                      f"'{name}' is not supported.")


def schema_of(name: str) -> SObjectSchema:
    try:
        return sobject(name)
    except KeyError:
        raise not_supported(name) from None


def _batch(call: ApiCall, endpoint: str) -> WriteBatch:
    return WriteBatch(call.org, call.session.user_id, endpoint, call.method)


def _record_reply(call: ApiCall, schema: SObjectSchema, position: int) -> ApiReply:
    fields_param = call.params.get("fields")
    if fields_param:
        names = [n.strip() for n in fields_param.split(",") if n.strip()]
        unknown = [n for n in names if not schema.has_field(n)]
        if unknown:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity "
                                                 f"'{schema.name}'. If you are attempting to use a "
                                                 f"custom field, be sure to append the '__c' after "
                                                 f"the custom field name.")
        fields = [schema.field(n).name for n in names]
    else:
        fields = schema.field_names()
    frame = call.org.tables[schema.name].frame()
    records = records_json(schema, frame, np.asarray([position]), fields, call.base_path)
    return ApiReply(body=records[0])


def _live_position(call: ApiCall, schema: SObjectSchema, record_id: str) -> int:
    table = call.org.tables[schema.name]
    position = table.position_of(record_id)
    if position is None:
        raise not_found()
    if table.value(position, "IsDeleted"):
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
    return position


def _single_failure(result: WriteResult) -> ApiError:
    error = result.errors[0]
    status = 404 if error.status_code in ("ENTITY_IS_DELETED",) else 400
    return ApiError(status, error.status_code, error.message, error.fields)


# -- /sobjects/{T} ---------------------------------------------------------------------------
def describe_global_resource(call: ApiCall) -> ApiReply:
    return ApiReply(body=describe_global(call.base_path, call.org.field_history.history_objects()))


def sobject_basic_info(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    listed = describe_global(call.base_path, call.org.field_history.history_objects())["sobjects"]
    summary = next((o for o in listed if o["name"] == schema.name), None)
    if summary is None:
        raise not_supported(call.path_args[0])
    return ApiReply(body={"objectDescribe": summary, "recentItems": []})


def create_record(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    values, sent = read_fields(schema, call.json_body())
    batch = _batch(call, "sobject.create")
    batch.create(schema, values, sent)
    result = batch.commit(all_or_none=True)[0]
    if not result.success:
        raise _single_failure(result)
    return ApiReply(status=201, body={"id": result.id, "success": True, "errors": []})


def get_record(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    return _record_reply(call, schema, _live_position(call, schema, call.path_args[1]))


def update_record(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    record_id = call.path_args[1]
    _live_position(call, schema, record_id)
    values, sent = read_fields(schema, call.json_body())
    batch = _batch(call, "sobject.update")
    batch.update(schema, record_id, values, sent)
    result = batch.commit(all_or_none=True)[0]
    if not result.success:
        raise _single_failure(result)
    return ApiReply(status=204)


def delete_record(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    record_id = call.path_args[1]
    _live_position(call, schema, record_id)
    batch = _batch(call, "sobject.delete")
    batch.delete(record_id)
    result = batch.commit(all_or_none=True)[0]
    if not result.success:
        raise _single_failure(result)
    return ApiReply(status=204)


def _matches(call: ApiCall, schema: SObjectSchema, field: str, value: str) -> list[int]:
    table = call.org.tables[schema.name]
    if field == "Id":
        position = table.position_of(value)
        candidates = [] if position is None else [position]
    else:
        candidates = table.find_unique(field, value)
    return [p for p in candidates if not table.value(p, "IsDeleted")]


def _multiple_choices(call: ApiCall, schema: SObjectSchema, positions: list[int]) -> ApiReply:
    table = call.org.tables[schema.name]
    return ApiReply(status=300, body=[sobject_url(call.base_path, schema.name, table.value(p, "Id"))
                                      for p in positions])


def get_by_external_id(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    key = external_id_field(schema, call.path_args[1])
    positions = _matches(call, schema, key.name, call.path_args[2])
    if not positions:
        raise not_found()
    if len(positions) > 1:
        return _multiple_choices(call, schema, positions)
    return _record_reply(call, schema, positions[0])


def upsert_record(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    key = external_id_field(schema, call.path_args[1])
    key_value = call.path_args[2]
    positions = _matches(call, schema, key.name, key_value)
    if len(positions) > 1:
        return _multiple_choices(call, schema, positions)
    if not positions and call.flag("updateOnly"):
        raise not_found()
    values, sent = read_fields(schema, call.json_body())
    batch = _batch(call, "sobject.upsert")
    batch.upsert(schema, key, key_value, values, sent)
    result = batch.commit(all_or_none=True)[0]
    if not result.success:
        raise _single_failure(result)
    if result.created:
        return ApiReply(status=201, body={"id": result.id, "success": True, "errors": [],
                                          "created": True})
    if call.version_number >= _UPSERT_BODY_SINCE:
        return ApiReply(status=200, body={"id": result.id, "success": True, "errors": [],
                                          "created": False})
    return ApiReply(status=204)


# -- /composite/sobjects -------------------------------------------------------------------------
def _collection(call: ApiCall) -> tuple[list[Mapping[str, Any]], bool]:
    body = call.json_body()
    if not isinstance(body, Mapping) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be an object with a records array.")
    records = body["records"]
    if len(records) > MAX_COLLECTION_SIZE:
        raise ApiError(400, "EXCEEDED_ID_LIMIT",
                       "record limit reached. cannot submit more than 200 records into this call")
    if not records:
        raise ApiError(400, "INVALID_FIELD", "The records list must not be empty.")
    if not all(isinstance(r, Mapping) for r in records):
        raise ApiError(400, "JSON_PARSER_ERROR", "Every entry of records must be an object.")
    return records, bool(body.get("allOrNone", False))


def _results(results: list[WriteResult], *, with_created: bool = False) -> ApiReply:
    return ApiReply(body=[r.as_json(with_created=with_created) for r in results])


def _parsed(records: list[Mapping[str, Any]]) -> list[tuple]:
    """Every record of a collection read against its own object's schema, before any is written."""
    parsed = []
    for record in records:
        schema = schema_for_record(record)
        parsed.append((schema, *read_fields(schema, record)))
    return parsed


def composite_create(call: ApiCall) -> ApiReply:
    records, all_or_none = _collection(call)
    parsed = _parsed(records)
    batch = _batch(call, "composite.create")
    for schema, values, sent in parsed:
        batch.create(schema, values, sent)
    return _results(batch.commit(all_or_none))


def composite_update(call: ApiCall) -> ApiReply:
    records, all_or_none = _collection(call)
    parsed = _parsed(records)
    batch = _batch(call, "composite.update")
    for schema, values, sent in parsed:
        batch.update(schema, values.get("Id"), values, sent)
    return _results(batch.commit(all_or_none))


def composite_upsert(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    key = external_id_field(schema, call.path_args[1])
    records, all_or_none = _collection(call)
    parsed = [(s, *read_fields(s, r)) for r in records for s in (schema_for_record(r),)]
    if any(s.name != schema.name for s, _, _ in parsed):
        raise ApiError(400, "INVALID_TYPE", f"Every record must be of type {schema.name}")
    keys = [values.get(key.name) for _, values, _ in parsed]
    repeated = Counter(str(k).lower() for k in keys if k is not None)
    batch = _batch(call, "composite.upsert")
    for (_, values, sent), key_value in zip(parsed, keys, strict=True):
        if key_value is not None and repeated[str(key_value).lower()] > 1:
            batch.fail(RecordError("DUPLICATE_EXTERNAL_ID",
                                   f"Duplicate external id specified: {key_value}", (key.name,)))
            continue
        batch.upsert(schema, key, None if key_value is None else str(key_value), values, sent)
    results = batch.commit(all_or_none)
    return _results(results, with_created=True)


def composite_delete(call: ApiCall) -> ApiReply:
    ids = [i for i in (call.params.get("ids") or "").split(",") if i]
    if not ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids must be specified")
    if len(ids) > MAX_COLLECTION_SIZE:
        raise ApiError(400, "EXCEEDED_ID_LIMIT",
                       "record limit reached. cannot submit more than 200 records into this call")
    batch = _batch(call, "composite.delete")
    for record_id in ids:
        batch.delete(record_id)
    return _results(batch.commit(call.flag("allOrNone")))


def composite_retrieve(call: ApiCall) -> ApiReply:
    schema = schema_of(call.path_args[0])
    ids = [i for i in (call.params.get("ids") or "").split(",") if i]
    if not ids or not call.params.get("fields"):
        raise ApiError(400, "MISSING_ARGUMENT", "ids and fields must both be specified")
    table = call.org.tables[schema.name]
    out: list[Any] = []
    for record_id in ids:
        position = table.position_of(record_id)
        if position is None or table.value(position, "IsDeleted"):
            out.append(None)
        else:
            out.append(_record_reply(call, schema, position).body)
    return ApiReply(body=out)
