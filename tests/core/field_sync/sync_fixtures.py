"""Running matching and the prospect sync on hand-built frames, and reading the changes back."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crm_pipelines.core.field_sync import ProspectSync, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import ConnectorSettings
from tests.core.matching.crm_fixtures import contacts, leads, prospects, rows_of

C1, C2, C3 = "003000000000001AAA", "003000000000002AAA", "003000000000003AAA"
L1, L2, L3, L4 = (f"00Q00000000000{i}AAA" for i in range(1, 5))
JAN, FEB, MAR = "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"


def run_sync(
    prospect_rows: list[dict[str, Any]],
    *,
    lead_rows: list[dict[str, Any]] = (),
    contact_rows: list[dict[str, Any]] = (),
    since: str | None = None,
    overrides: pd.DataFrame | None = None,
    matched_users: pd.DataFrame | None = None,
    **switches: bool,
) -> ProspectSync:
    settings = ConnectorSettings(**switches)
    app, crm_leads, crm_contacts = prospects(*prospect_rows), leads(*lead_rows), contacts(*contact_rows)
    matched = match_prospects(app, crm_leads, crm_contacts, overrides, match_by_email=settings.match_by_email).matched
    return sync_prospects(matched, app, crm_leads, crm_contacts, settings=settings,
                          since=None if since is None else pd.Timestamp(since), matched_users=matched_users)


def changes(frame: pd.DataFrame, *columns: str, field: str | None = None, reason: str | None = None) -> list[tuple]:
    """The change rows' `columns` (default app_id, field, old_value, new_value, reason), optionally
    only of one field or one reason."""
    picked = frame
    if field is not None:
        picked = picked.loc[(picked["field"] == field).fillna(False).to_numpy(dtype=bool)]
    if reason is not None:
        picked = picked.loc[(picked["reason"] == reason).fillna(False).to_numpy(dtype=bool)]
    return rows_of(picked, *(columns or ("app_id", "field", "old_value", "new_value", "reason")))
