"""The one shape of everything the app sends to a tenant's CRM: a push item.

A push item is one CRM record to create or change, with the values to write and where they came
from. Every plan (P1–P7) produces items; the ledger decides which are due; delivery batches them.

Columns (PUSH_COLUMNS):
    kind             activity | touch_outcome | new_lead | contact_push | lead_score | field_update |
                     new_campaign | campaign_update (several joined by "+" once merged)
    sobject          the CRM object: Task | Lead | Contact | Account | Campaign
    operation        upsert: by App_External_Id__c, so a retried or re-run push can never create a
                     duplicate (P8); update: an existing record by its Id (idempotent by nature)
    external_id      derived from the app record ("event:ev-1", "prospect:p-7"); with `sobject` the
                     key of the delivery ledger
    crm_id           the record to update (NA for an upsert)
    app_object       event | touch | prospect | company | campaign
    app_id           the app record
    who_prospect_id  for a Task: the prospect whose CRM Lead or Contact becomes its WhoId, resolved
                     at delivery, so events of a prospect that just got its CRM id go out at once
    fields           {CRM field: JSON value} to write
    app_fields       {CRM field: app field} for the connector log
    old_values       {CRM field: the CRM's value before, as text} for the connector log
    reasons          {CRM field: the field sync's reason} where the connector log should say more
                     than the kind: a conflict the app won (conflict_app_newer, F3)
    triggers         what asked for the push ("request:pr-1,todo:td-2,threshold"), NA for none
    forced           something asked (a push request, a to-do, a threshold crossing): send the item's
                     fields even where the ledger holds them as sent
    note             why an item cannot be sent (operation `skip`), NA otherwise
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID
from crm_pipelines.core.field_sync.values import canonical, decode, encode
from crm_pipelines.settings.fields import FieldType

EXTERNAL_ID_FIELD = APP_EXTERNAL_ID
MAX_EXTERNAL_ID_LENGTH = 80

PUSH_COLUMNS = (
    "kind", "sobject", "operation", "external_id", "crm_id", "app_object", "app_id", "who_prospect_id",
    "fields", "app_fields", "old_values", "reasons", "triggers", "forced", "note",
)

PUSH_REASONS = {
    "activity": "an app activity event logged as a CRM Task (P1)",
    "touch_outcome": "a cadence touch with a selected outcome logged as a CRM Task (P2)",
    "new_lead": "a prospect eligible under F7 created as a CRM Lead (P3)",
    "contact_push": "a prospect pushed on a trigger: a request, the interest threshold or a to-do (P4)",
    "lead_score": "a matched prospect's lead score changed (P5)",
    "field_update": "a push or two-way mapped field where the app is newer (P6)",
    "new_campaign": "an active app campaign created in the CRM (P7, F6)",
    "campaign_update": "a campaign field where the app is newer (P7, F6)",
}


def external_ids(app_object: str | pd.Series, app_ids: pd.Series) -> pd.Series:
    """`<app object>:<app id>`, the value of App_External_Id__c for those app records (one app
    object for all, or one per record). App ids are at most 64 characters, so every external id
    fits the field's 80."""
    objects = app_object.astype("string").reset_index(drop=True) if isinstance(app_object, pd.Series) else app_object
    return objects + ":" + app_ids.astype("string").reset_index(drop=True)


def empty_items() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in PUSH_COLUMNS})
    for column in ("kind", "sobject", "operation", "external_id", "crm_id", "app_object", "app_id",
                   "who_prospect_id", "triggers", "note"):
        frame[column] = frame[column].astype("string")
    frame["forced"] = frame["forced"].astype("bool")
    return frame


def items_frame(**columns: Any) -> pd.DataFrame:
    """Push items from columns of equal length (scalars repeated); missing columns get their
    empty value."""
    n = next((len(v) for v in columns.values() if isinstance(v, pd.Series | np.ndarray | list)), 0)
    if n == 0:
        return empty_items()

    def column(name: str) -> pd.Series:
        value = columns.get(name)
        if isinstance(value, pd.Series):
            return value.reset_index(drop=True)
        if isinstance(value, np.ndarray | list):
            return pd.Series(list(value) if name in _DICT_COLUMNS else value)
        if name in _DICT_COLUMNS:
            return pd.Series([dict(value or {}) for _ in range(n)], dtype="object")
        return pd.Series([value] * n)

    frame = pd.DataFrame({name: column(name) for name in PUSH_COLUMNS})
    for name in PUSH_COLUMNS:
        if name in _DICT_COLUMNS:
            continue
        frame[name] = frame[name].astype("bool" if name == "forced" else "string")
    return frame


def concat_items(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_items()
    return pd.concat(parts, ignore_index=True)[list(PUSH_COLUMNS)]


_DICT_COLUMNS = ("fields", "app_fields", "old_values", "reasons")


def item_records(items: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts, as `to_dict("records")` gives them (NA as None, numbers and flags as
    Python's), built from each column's list: to_dict boxes every Arrow string apart."""
    columns = {name: [None if v is pd.NA else v for v in items[name].tolist()] for name in items.columns}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def json_values(text: pd.Series, field_type: FieldType) -> list[Any]:
    """Encoded change values (values.encode) as the JSON values Salesforce takes: numbers, booleans,
    dates as YYYY-MM-DD, datetimes as ISO 8601 UTC; NA as null (to empty the field)."""
    if field_type in ("string", "date", "datetime"):
        return [None if v is pd.NA else str(v) for v in text.astype("string").tolist()]
    values = decode(text, field_type)
    if field_type == "boolean":
        return [None if v is pd.NA else bool(v) for v in values.tolist()]
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else _number(v) for v in values.tolist()]


def column_json_values(values: pd.Series, field_type: FieldType) -> list[Any]:
    """An app column's values as JSON values for the CRM (see `json_values`)."""
    return json_values(encode(canonical(values, field_type), field_type), field_type)


def as_base_text(value: Any) -> str:
    """A JSON value sent to the CRM as the text the three-way base keeps (values.encode's form)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)
