"""What each Insightly path answers, once the call is authenticated and counted (see `routes`).

Lists take `skip` and `top` (at most 500, 100 when left out) and `brief=true`; with
`count_total=true` the answer carries the match count in `X-Total-Count`. `/Search` takes the same
paging plus `updated_after_utc` and/or one `field_name`/`field_value` pair. One record per call:
POST creates (the body has no id), PUT updates (the id is in the body, as Insightly's PUT is on
the collection), DELETE removes, and a removed record is gone: no endpoint lists deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
from starlette.datastructures import QueryParams

from crm_pipelines.sim.api_call import ApiReply
from crm_pipelines.sim.insightly.fields import bad_request, parse_insightly_datetime
from crm_pipelines.sim.insightly.integer_ids import integer_id, record_id
from crm_pipelines.sim.insightly.objects import (
    CUSTOM_FIELD_OBJECTS,
    OPEN_STAGES,
    PIPELINE_ID,
    PIPELINE_NAME,
    InsightlyObject,
    insightly_object,
)
from crm_pipelines.sim.insightly.records import defaults_on_create, live_positions, org_fields, records
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.record_writes import WriteBatch, read_fields
from crm_pipelines.sim.schema import LEAD_SOURCES, LEAD_STATUSES
from crm_pipelines.sim.wire import ApiError

MAX_TOP = 500
DEFAULT_TOP = 100
TOTAL_COUNT_HEADER = "X-Total-Count"
_FIELD_TYPES = {"string": "TEXT", "double": "NUMERIC", "int": "NUMERIC", "picklist": "DROPDOWN",
                "boolean": "BIT", "date": "DATE", "datetime": "DATETIME"}


@dataclass(frozen=True)
class Call:
    org: OrgState
    user_id: str
    method: str
    path: tuple[str, ...]   # the parts after /v3.1/
    params: QueryParams
    body: bytes

    def json_body(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            raise bad_request("The request body is not JSON.") from None

    def flag(self, name: str) -> bool:
        return (self.params.get(name) or "").lower() == "true"


def not_found(message: str = "The resource was not found.") -> ApiError:
    return ApiError(404, "NotFound", message)


def _whole(params: QueryParams, name: str, default: int, most: int | None = None) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name} must be a whole number, got {text!r}") from None
    if value < 0 or (most is not None and value > most):
        raise bad_request(f"{name} must be between 0 and {most if most is not None else 'any'}")
    return value


def _paged(call: Call, total: int) -> tuple[slice, dict[str, str]]:
    """The page `skip`/`top` ask for, and the total header when `count_total=true` asks for it."""
    skip = _whole(call.params, "skip", 0)
    top = _whole(call.params, "top", DEFAULT_TOP, MAX_TOP)
    return slice(skip, skip + top), {TOTAL_COUNT_HEADER: str(total)} if call.flag("count_total") else {}


def _page(call: Call, items: list[dict[str, Any]]) -> ApiReply:
    page, headers = _paged(call, len(items))
    return ApiReply(body=items[page], headers=headers)


def _listed(call: Call, view: InsightlyObject, positions: np.ndarray) -> ApiReply:
    page, headers = _paged(call, len(positions))
    return ApiReply(body=records(call.org, view, positions[page], brief=call.flag("brief")),
                    headers=headers, compressible=True)


def _view(name: str) -> InsightlyObject:
    view = insightly_object(name)
    if view is None:
        raise not_found(f"No resource {name}.")
    return view


def _position(call: Call, view: InsightlyObject, text: str) -> int:
    try:
        number = int(text)
        sf_id = record_id(view.schema.key_prefix, call.org.name, number)
    except ValueError:
        raise not_found(f"No {view.record_name} with id {text}.") from None
    table = call.org.table(view.sobject)
    position = table.position_of(sf_id)
    if position is None or table.is_purged(position) or table.value(position, "IsDeleted"):
        raise not_found(f"No {view.record_name} with id {text}.")
    return position


# -- reading -------------------------------------------------------------------------------------
def list_records(call: Call) -> ApiReply:
    view = _view(call.path[0])
    return _listed(call, view, live_positions(call.org, view))


def search_records(call: Call) -> ApiReply:
    view = _view(call.path[0])
    positions = live_positions(call.org, view)
    frame = call.org.table(view.sobject).frame()
    after = call.params.get("updated_after_utc")
    if after:
        cutoff = parse_insightly_datetime(after, "updated_after_utc")
        stamps = pd.to_datetime(frame["SystemModstamp"], utc=True).iloc[positions]
        positions = positions[(stamps > cutoff).to_numpy(dtype=bool)]
    name, value = call.params.get("field_name"), call.params.get("field_value")
    if (name is None) != (value is None):
        raise bad_request("field_name and field_value go together.")
    if name is not None and value is not None:
        positions = _matching(call, view, positions, name, value)
    return _listed(call, view, positions)


def _matching(call: Call, view: InsightlyObject, positions: np.ndarray, name: str,
              value: str) -> np.ndarray:
    """Records whose field equals `value`, compared as Insightly shows the field (case-blind)."""
    spec = view.field(name)
    custom = name if name in view.custom_fields() else None
    if spec is None and custom is None:
        raise bad_request(f"{view.name} has no field {name}.")
    table = call.org.table(view.sobject)
    wanted = value.strip().lower()
    hits = []
    for position in positions:
        stored = table.value(int(position), spec.source if spec and spec.source else str(custom))
        shown = spec.encode(stored) if spec is not None else stored
        if shown is not None and str(shown).lower() == wanted:
            hits.append(position)
    return np.asarray(hits, dtype=np.int64)


def get_record(call: Call) -> ApiReply:
    view = _view(call.path[0])
    return ApiReply(body=records(call.org, view, np.asarray([_position(call, view, call.path[1])]))[0])


# -- writing, one record a call ----------------------------------------------------------------
def _write(call: Call, view: InsightlyObject, operation: str, values: dict[str, Any],
           sf_id: str | None = None) -> str:
    if not view.writable:
        raise ApiError(405, "MethodNotAllowed", f"{view.name} cannot be written through the API.")
    schema = view.schema
    coerced, sent = read_fields(schema, values)
    batch = WriteBatch(org=call.org, user_id=call.user_id, endpoint=f"insightly.{view.name}.{operation}",
                       method=call.method)
    if operation == "create":
        batch.create(schema, coerced, sent)
    elif operation == "update":
        batch.update(schema, sf_id, coerced, sent)
    else:
        batch.delete(str(sf_id))
    result = batch.commit(all_or_none=True)[0]
    if not result.success:
        error = result.errors[0]
        raise bad_request(f"{error.status_code}: {error.message}")
    return str(result.id)


def create_record(call: Call) -> ApiReply:
    view = _view(call.path[0])
    values = defaults_on_create(view, org_fields(call.org, view, call.json_body()))
    created = _write(call, view, "create", values)
    position = call.org.table(view.sobject).position_of(created)
    return ApiReply(body=records(call.org, view, np.asarray([position]))[0])


def update_record(call: Call) -> ApiReply:
    view = _view(call.path[0])
    body = call.json_body()
    number = body.get(view.id_field) if isinstance(body, dict) else None
    if number is None:
        raise bad_request(f"{view.id_field} is required to update a {view.record_name}.")
    position = _position(call, view, str(number))
    table = call.org.table(view.sobject)
    values = org_fields(call.org, view, body, current=table.row(position))
    _write(call, view, "update", values, table.value(position, "Id"))
    return ApiReply(body=records(call.org, view, np.asarray([position]))[0])


def delete_record(call: Call) -> ApiReply:
    view = _view(call.path[0])
    position = _position(call, view, call.path[1])
    _write(call, view, "delete", {}, call.org.table(view.sobject).value(position, "Id"))
    return ApiReply(status=202)


# -- lists Insightly keeps as records of their own --------------------------------------------
def _first_user_id(org: OrgState) -> int | None:
    return integer_id(org.integration_user_id())


def pipelines(call: Call) -> ApiReply:
    return _page(call, [{"PIPELINE_ID": PIPELINE_ID, "PIPELINE_NAME": PIPELINE_NAME,
                         "FOR_OPPORTUNITIES": True, "FOR_PROJECTS": False,
                         "OWNER_USER_ID": _first_user_id(call.org)}])


def pipeline_stages(call: Call) -> ApiReply:
    owner = _first_user_id(call.org)
    return _page(call, [{"STAGE_ID": n, "PIPELINE_ID": PIPELINE_ID, "STAGE_NAME": name, "STAGE_ORDER": n,
                         "ACTIVITYSET_ID": None, "OWNER_USER_ID": owner}
                        for n, name in enumerate(OPEN_STAGES, start=1)])


def lead_statuses(call: Call) -> ApiReply:
    return _page(call, [{"LEAD_STATUS_ID": n, "LEAD_STATUS": name, "DEFAULT_STATUS": n == 1,
                         "STATUS_TYPE": 2 if name.startswith("Closed") or name == "Disqualified" else 1,
                         "FIELD_ORDER": n}
                        for n, name in enumerate(LEAD_STATUSES, start=1)])


def lead_sources(call: Call) -> ApiReply:
    return _page(call, [{"LEAD_SOURCE_ID": n, "LEAD_SOURCE": name, "DEFAULT_VALUE": False, "FIELD_ORDER": n}
                        for n, name in enumerate(LEAD_SOURCES, start=1)])


def custom_fields(call: Call) -> ApiReply:
    """Definitions of the custom fields of one object (`/CustomFields/Contacts`) or of all."""
    names = [call.path[1]] if len(call.path) > 1 else list(CUSTOM_FIELD_OBJECTS)
    definitions = []
    for name in names:
        view = _view(name)
        if view.name not in CUSTOM_FIELD_OBJECTS:
            raise not_found(f"{view.name} has no custom fields.")
        for spec in view.schema.fields:
            if not spec.custom:
                continue
            definitions.append({
                "FIELD_NAME": spec.name, "FIELD_LABEL": spec.label, "FIELD_FOR": view.record_name.upper(),
                "FIELD_TYPE": _FIELD_TYPES.get(spec.sf_type, "TEXT"), "FIELD_HELP_TEXT": None,
                "DEFAULT_VALUE": None, "EDITABLE": spec.updateable, "VISIBLE": True,
                "CUSTOM_FIELD_OPTIONS": [{"OPTION_ID": n, "OPTION_VALUE": value, "OPTION_DEFAULT": False}
                                         for n, value in enumerate(spec.picklist_values, start=1)],
                "DEPENDENCY": None,
            })
    return _page(call, definitions)
