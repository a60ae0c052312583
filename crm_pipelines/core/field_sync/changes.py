"""The one shape every field-sync change has, either way (F2–F8).

A change is one field of one record: which app record and which CRM record, the value before
and after as text (see values.encode; `field_type` says how to read it back), which way it goes,
why, and when the winning side changed.

Columns:
    object       app object: prospect | company | campaign | opportunity | opportunity_stage
    app_id       the app record (prospect_id, company_id, ...); a new deterministic id for a
                 record created from the CRM
    crm_type     CRM object: Lead | Contact | Account | Campaign | Opportunity (NA for app-only rows)
    crm_id       the CRM record; NA for a record the CRM should create (F6, F7)
    field        the app field; NA for a change to the record as a whole: with reason
                 deleted_in_crm, the app record is removed (tables without a deleted flag, such
                 as opportunity copies)
    crm_field    the CRM field (Salesforce name); NA for the app's own link fields
    field_type   string | number | boolean | date | datetime
    old_value    the receiving side's value before (text, NA for none)
    new_value    the value it gets (text, NA to empty it)
    direction    crm_to_app | app_to_crm
    reason       why (see REASONS)
    at           when the side that wins was modified (UTC)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import as_text

Direction = Literal["crm_to_app", "app_to_crm"]
CRM_TO_APP: Direction = "crm_to_app"
APP_TO_CRM: Direction = "app_to_crm"

CHANGE_COLUMNS = (
    "object", "app_id", "crm_type", "crm_id", "field", "crm_field", "field_type",
    "old_value", "new_value", "direction", "reason", "at",
)

REASONS = {
    "pull": "a pull mapping: the CRM's value is copied to the app",
    "push": "a push mapping: the app's value is copied to the CRM",
    "crm_newer": "a two-way mapping: only the CRM changed the field since the last sync or, for a pair never "
                 "synced before, the CRM record was modified more recently (F3)",
    "app_newer": "a two-way mapping: only the app changed the field since the last sync or, for a pair never "
                 "synced before, the app record was modified more recently (F3)",
    "conflict_crm_newer": "a two-way mapping: both sides changed the field since the last sync and the CRM's "
                          "change is the later one (or at the same time); old is the app's value, new the CRM's (F3)",
    "conflict_app_newer": "a two-way mapping: both sides changed the field since the last sync and the app's "
                          "change is the later one; old is the CRM's value, new the app's (F3)",
    "same_time_crm_wins": "a two-way mapping, both modified at the same time: the CRM is the master of record",
    "created_in_crm": "the record was created in the CRM and has no app counterpart (F4.1, F5, F6)",
    "deleted_in_crm": "the CRM record was deleted (F4.3)",
    "merged_in_crm": "the CRM record was merged into a record another prospect holds (F4.3)",
    "merge_followed": "the CRM record was merged; the prospect now holds the master record (E5)",
    "converted_in_crm": "the Lead was converted; the prospect now holds its Contact (X5)",
    "matched_by_email": "the prospect had no CRM id and matched this record by email (X2, F4.6)",
    "matched_by_domain": "the company had no CRM id and matched this Account by website domain (X4)",
    "matched_by_name": "the company had no CRM id and matched this Account by normalized name (X4)",
    "manual_match": "a user confirmed this match (X3)",
    "matched_by_id": "the prospect's stored CRM id matched; its CRM type is filled in from the CRM",
    "owner_from_crm": "the CRM owns record ownership; the owner is the app user matched to the CRM owner (X1)",
    "linked_in_crm": "the CRM record points at another account, campaign or stage (F5)",
    "new_lead": "an app prospect the CRM should create as a Lead (F7)",
    "new_campaign": "an active app campaign the CRM should create (F6)",
    "label_changed": "the CRM label of a mapped custom field changed (F4.9)",
}

_TEXT_COLUMNS = tuple(c for c in CHANGE_COLUMNS if c != "at")


def _no_changes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in _TEXT_COLUMNS})
    frame["at"] = pd.Series(dtype="datetime64[us, UTC]")
    return frame[list(CHANGE_COLUMNS)]


_NO_CHANGES = _no_changes()


def empty_changes() -> pd.DataFrame:
    """A change frame with no rows (CHANGE_COLUMNS, typed)."""
    return _NO_CHANGES.copy()


def change_rows(
    *,
    object: str,
    app_id: pd.Series | np.ndarray,
    crm_type: str | pd.Series | np.ndarray | None,
    crm_id: pd.Series | np.ndarray | None,
    field: str,
    crm_field: str | None,
    field_type: str,
    old_value: pd.Series | None,
    new_value: pd.Series | None,
    direction: Direction,
    reason: str | pd.Series | np.ndarray,
    at: pd.Series | np.ndarray | None,
) -> pd.DataFrame:
    """Change rows for one field of many records; scalars are repeated down the rows."""
    n = len(app_id)

    def text(value: object) -> pd.Series:
        return as_text(value, n)

    if at is None:
        stamps = pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]")
    else:
        stamps = _utc(at.reset_index(drop=True) if isinstance(at, pd.Series) else pd.Series(np.asarray(at)))
    return pd.DataFrame({
        "object": text(object), "app_id": text(app_id), "crm_type": text(crm_type), "crm_id": text(crm_id),
        "field": text(field), "crm_field": text(crm_field), "field_type": text(field_type),
        "old_value": text(old_value), "new_value": text(new_value), "direction": text(direction),
        "reason": text(reason), "at": stamps,
    })


def concat_changes(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Change frames stacked in the order given."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_changes()
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)[list(CHANGE_COLUMNS)]
    return pd.concat(parts, ignore_index=True)[list(CHANGE_COLUMNS)]


def _utc(stamps: pd.Series) -> pd.Series:
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return pd.to_datetime(stamps).dt.tz_localize("UTC").astype("datetime64[us, UTC]")
