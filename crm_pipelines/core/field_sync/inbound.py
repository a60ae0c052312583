"""CRM → app: the prospect changes due (F1–F4) and applying them to the prospects table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.prospect_sync import sync_prospects
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping


def inbound_changes(
    matched: pd.DataFrame,
    prospects: pd.DataFrame,
    crm_leads: pd.DataFrame,
    crm_contacts: pd.DataFrame,
    *,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
    matched_users: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The crm_to_app change rows (changes.CHANGE_COLUMNS) for prospects; see
    prospect_sync.sync_prospects, which computes both ways at once."""
    return sync_prospects(matched, prospects, crm_leads, crm_contacts, mappings=mappings, settings=settings,
                          since=since, matched_users=matched_users).inbound


def apply_inbound_changes(prospects: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The prospects table with the crm_to_app prospect changes applied (creations appended as
    live, not opted-out prospects unless the changes say otherwise). Applying the same changes
    again changes nothing."""
    return apply_changes(prospects, changes, object="prospect", id_column="prospect_id",
                         new_row_defaults={"is_deleted": False, "opted_out": False})
