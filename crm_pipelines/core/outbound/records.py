"""P3, P5, P6, P7: the field sync's app → CRM changes (outbound_field_changes) as push items.

The field sync already decided what the CRM should receive (F2–F7: mappings, three-way per field,
empty values, F7's eligibility); here its change rows, one per field, become one item per record
(a conflict the app won keeps its reason, for the connector log):

- P3 new Leads (reason new_lead): upserted by the prospect's external id, owned by the CRM user
  matched to the prospect's app owner; the new CRM id is written back to the prospect.
- P5 lead scores and P6 other fields of linked records: updates by CRM id.
- P7 campaigns: new ones (reason new_campaign) upserted by the campaign's external id, changed
  ones updated by CRM id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.frames import require
from crm_pipelines.core.outbound.items import concat_items, empty_items, external_ids, items_frame, json_values

CHANGE_INPUT = ("object", "app_id", "crm_type", "crm_id", "field", "crm_field", "field_type", "old_value",
                "new_value", "reason")
LEAD_SCORE_FIELD = "lead_score"


def new_lead_items(changes: pd.DataFrame, prospects: pd.DataFrame, *, crm_user_of: pd.Series) -> pd.DataFrame:
    """P3: one Lead upsert per prospect the field sync found eligible under F7."""
    require(changes, CHANGE_INPUT, "outbound_field_changes")
    rows = changes.loc[(changes["reason"] == "new_lead").fillna(False)]
    items = items_from_changes(rows, kind="new_lead", operation="upsert")
    if items.empty:
        return items
    owner_of = prospects.set_index(prospects["prospect_id"].astype("string"))["owner_user_id"].astype("string")
    owners = items["app_id"].map(owner_of).map(crm_user_of)
    items["fields"] = [_with_owner(f, o) for f, o in zip(items["fields"], owners, strict=True)]
    return items


def field_update_items(changes: pd.DataFrame, *, lead_score: bool) -> pd.DataFrame:
    """P5 (`lead_score` True: the lead score alone) or P6 (every other field): one update per linked
    prospect or company record whose fields the app should change in the CRM."""
    require(changes, CHANGE_INPUT, "outbound_field_changes")
    linked = changes["crm_id"].notna() & changes["object"].isin(["prospect", "company"])
    is_score = (changes["field"] == LEAD_SCORE_FIELD).fillna(False)
    rows = changes.loc[linked & (is_score if lead_score else ~is_score)]
    return items_from_changes(rows, kind="lead_score" if lead_score else "field_update", operation="update")


def campaign_items(changes: pd.DataFrame) -> pd.DataFrame:
    """P7: new active app campaigns created in the CRM, and linked campaigns' app-newer fields."""
    require(changes, CHANGE_INPUT, "outbound_field_changes")
    campaigns = changes.loc[(changes["object"] == "campaign").fillna(False)]
    new = (campaigns["reason"] == "new_campaign").fillna(False) & campaigns["crm_id"].isna()
    return concat_items([
        items_from_changes(campaigns.loc[new], kind="new_campaign", operation="upsert"),
        items_from_changes(campaigns.loc[~new & campaigns["crm_id"].notna()], kind="campaign_update", operation="update"),
    ])


def items_from_changes(rows: pd.DataFrame, *, kind: str, operation: str) -> pd.DataFrame:
    """Change rows grouped into one item per record (object, app id, CRM type, CRM id), in the
    records' key order. The columns are read once as lists: a large sync's hundred thousand rows
    are one pass of plain Python, not a pandas call per record."""
    if rows.empty:
        return empty_items()
    rows = rows.reset_index(drop=True)
    values: list = [None] * len(rows)
    for field_type, part in rows.groupby("field_type", sort=False):
        for position, value in zip(part.index, json_values(part["new_value"], field_type), strict=True):
            values[position] = value
    columns = ["object", "app_id", "crm_type", "crm_id"]
    group = rows.groupby(columns, sort=True, dropna=False).ngroup().to_numpy()
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
    ordered = rows.take(order)
    crm_fields = ordered["crm_field"].astype("string").tolist()
    records = _records_of(starts, crm_fields, [values[i] for i in order.tolist()],
                          ordered["field"].astype("string").fillna("").tolist(),
                          ordered["old_value"].astype("string").tolist(), ordered["reason"].astype("string").tolist())
    key_frame = ordered.iloc[starts][columns].reset_index(drop=True)
    return items_frame(
        kind=kind, sobject=key_frame["crm_type"].astype("string"), operation=operation,
        external_id=external_ids(key_frame["object"], key_frame["app_id"]), crm_id=key_frame["crm_id"].astype("string") if operation == "update"
        else pd.Series(pd.NA, index=key_frame.index, dtype="string"),
        app_object=key_frame["object"].astype("string"), app_id=key_frame["app_id"].astype("string"),
        who_prospect_id=pd.Series(pd.NA, index=key_frame.index, dtype="string"),
        fields=records[0], app_fields=records[1], old_values=records[2], reasons=records[3], triggers=None,
        forced=False,
    )


def _records_of(starts: np.ndarray, crm_fields: list, values: list, app_fields: list, old_values: list,
                reasons: list) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Per record (rows starts[i] up to starts[i + 1]): {CRM field: value}, {CRM field: app field},
    {CRM field: old value as text}, {CRM field: reason} for the conflicts the app won."""
    fields, names, olds, why = [], [], [], []
    bounds = [*starts.tolist(), len(crm_fields)]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        keys = crm_fields[start:end]
        fields.append(dict(zip(keys, values[start:end], strict=True)))
        names.append(dict(zip(keys, app_fields[start:end], strict=True)))
        olds.append({f: (None if v is pd.NA else str(v)) for f, v in zip(keys, old_values[start:end], strict=True)})
        why.append({f: r for f, r in zip(keys, reasons[start:end], strict=True)
                    if isinstance(r, str) and r.startswith("conflict_")})
    return fields, names, olds, why


def _with_owner(fields: dict, owner: object) -> dict:
    if isinstance(owner, str):
        return {**fields, "OwnerId": owner}
    return fields

