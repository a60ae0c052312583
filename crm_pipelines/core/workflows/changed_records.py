"""W3's input and F8's output: the Leads and Contacts a sync changed, as the app's prospects see
them, and the workflow log as connector-log rows.

A change is one CRM record at one SystemModstamp: its change key is `<CRM id>@<SystemModstamp>`, so
the same change read again (the extraction re-reads behind its cursor) is the same change, and a
later edit of the record is a new one. Criteria name prospect fields, so each change carries the
values of the prospect linked to the record, after the field sync applied it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.log_rows import LOG_COLUMNS as CONNECTOR_LOG_COLUMNS
from crm_pipelines.core.matching.frames import flag, utc_instant, utc_naive
from crm_pipelines.settings.workflows import Workflow

LOG_REASON_PREFIX = "workflow_"
LINK_COLUMNS = ("prospect_id", "crm_id", "crm_type", "is_deleted")
"""The prospect columns changed_records itself reads: which prospect holds which record, and whether live."""


def prospect_columns(workflows: Sequence[Workflow]) -> tuple[str, ...]:
    """The prospect columns an evaluation of `workflows` reads: LINK_COLUMNS and every field a
    criterion names, in order of first mention."""
    named = (criterion.field for workflow in workflows for criterion in workflow.criteria)
    return tuple(dict.fromkeys((*LINK_COLUMNS, *named)))


def changed_records(crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame, prospects: pd.DataFrame,
                    since: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """The changes for evaluate_workflows (prospect_id, record_type, change_key and every prospect
    column given; prospect_columns names those an evaluation needs) of the live records modified at
    or after `since` that a live prospect holds, and the latest SystemModstamp among the records
    given (the next `since` when they are all the records). Records at `since` itself are read
    again: one committed late with that stamp is not missed, and the applied-actions memory keeps a
    change already acted on from acting twice."""
    parts = []
    latest = None
    for record_type, records in (("Lead", crm_leads), ("Contact", crm_contacts)):
        if records.empty:
            continue
        stamps = utc_naive(records["system_modstamp"])
        if len(stamps) and not np.isnat(stamps).all():
            top = pd.Timestamp(np.nanmax(stamps)).tz_localize("UTC")
            latest = top if latest is None or top > latest else latest
        recent = ~flag(records, "is_deleted")
        if since is not None:
            recent &= stamps >= utc_instant(since)
        picked = records.loc[recent]
        parts.append(pd.DataFrame({
            "crm_id": picked["id"].astype("string"), "record_type": record_type,
            "change_key": picked["id"].astype("string") + "@" + pd.Series(utc_naive(picked["system_modstamp"]),
                                                                          index=picked.index).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }))
    if not parts:
        return _no_changes(prospects), latest
    changed = pd.concat(parts, ignore_index=True)
    live = prospects.loc[~flag(prospects, "is_deleted") & prospects["crm_id"].notna()].copy()
    live["crm_id"] = live["crm_id"].astype("string")
    joined = changed.merge(live, on="crm_id", how="inner", suffixes=("", "_prospect"))
    joined = joined.loc[joined["crm_type"].astype("string") == joined["record_type"]] if "crm_type" in joined else joined
    return joined.drop(columns=[c for c in ("crm_type",) if c in joined.columns]).reset_index(drop=True), latest


def workflow_log_rows(log: pd.DataFrame, changes: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """apply_cadence_actions' log as connector-log rows (F8, CRM → app): one per membership value
    changed, the action as the reason and the workflow's criteria in words as the detail."""
    crm = changes.drop_duplicates("change_key").set_index("change_key")
    keys = log["change_key"].astype("string")
    rows = pd.DataFrame({
        "at": pd.Series(pd.Timestamp(at).tz_convert("UTC"), index=log.index).astype("datetime64[us, UTC]"),
        "object": "cadence_membership",
        "app_id": log["membership_id"].astype("string"),
        "crm_type": keys.map(crm["record_type"]).astype("string"),
        "crm_id": keys.map(crm["crm_id"]).astype("string"),
        "field": log["field"].astype("string"),
        "crm_field": pd.Series(pd.NA, index=log.index, dtype="string"),
        "old_value": log["old_value"].astype("string"),
        "new_value": log["new_value"].astype("string"),
        "direction": "crm_to_app",
        "reason": (LOG_REASON_PREFIX + log["action"].astype("string")).str.slice(0, 40),
        "detail": log["reason"].astype("string"),
    })
    return rows[[*CONNECTOR_LOG_COLUMNS, "detail"]].reset_index(drop=True)


def _no_changes(prospects: pd.DataFrame) -> pd.DataFrame:
    columns = ["crm_id", "record_type", "change_key", *[c for c in prospects.columns if c not in ("crm_id", "crm_type")]]
    frame = prospects.iloc[0:0].drop(columns=[c for c in ("crm_id", "crm_type") if c in prospects.columns])
    for column in ("crm_id", "record_type", "change_key"):
        frame[column] = pd.Series(dtype="string")
    return frame[columns]
