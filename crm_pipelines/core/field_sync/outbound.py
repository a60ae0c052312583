"""App → CRM: the Lead and Contact updates and new Leads the CRM should receive (F3, F4.5, F7)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crm_pipelines.core.field_sync.prospect_sync import sync_prospects
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping


def outbound_changes(
    matched: pd.DataFrame,
    prospects: pd.DataFrame,
    crm_leads: pd.DataFrame,
    crm_contacts: pd.DataFrame,
    *,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The app_to_crm change rows (changes.CHANGE_COLUMNS) for Leads and Contacts: `crm_id` is the
    record to update, or NA for a Lead to create (reason new_lead, grouped by app_id);
    `crm_field` and `new_value` (text, read with `field_type`) are what to write; `old_value` is
    the CRM's value before. See prospect_sync.sync_prospects, which computes both ways at once."""
    return sync_prospects(matched, prospects, crm_leads, crm_contacts, mappings=mappings, settings=settings,
                          since=since).outbound
