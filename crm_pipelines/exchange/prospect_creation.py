"""The prospects a sync creates from the CRM's Leads and Contacts (F4.1), committed a chunk of
records at a time, so a first connection to a large org runs in memory bounded by the chunk and
not by the org (issue 17). `CRM_PIPELINES_CREATION_CHUNK_ROWS` sets the chunk (default 50,000
records); 0 creates them in one piece with the rest of the prospect sync, as before."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import pandas as pd

from crm_pipelines.core.field_sync import apply_inbound_changes, connector_log_rows
from crm_pipelines.core.field_sync.prospect_creation import creation_chunks
from crm_pipelines.settings import Tenant
from crm_pipelines.store.app_appends import append_app_rows
from crm_pipelines.store.database import Database

CHUNK_ROWS_ENV = "CRM_PIPELINES_CREATION_CHUNK_ROWS"
DEFAULT_CHUNK_ROWS = 50_000


def creation_chunk_rows() -> int:
    """Records per chunk of created prospects; 0 when they are made in one piece."""
    return int(os.environ.get(CHUNK_ROWS_ENV, DEFAULT_CHUNK_ROWS))


def create_prospects_in_chunks(db: Database, tenant: Tenant, prospects: pd.DataFrame, matched_prospects: pd.DataFrame,
                               matched_users: pd.DataFrame, crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame,
                               chunk_rows: int, *, now: Callable[[], datetime], run_id: str,
                               batch_name: str) -> dict[str, int]:
    """Create and commit the new prospects chunk by chunk; the counts for the asset's metadata.
    `prospects` is the table before this sync: who holds which record is all a chunk needs of it.
    `batch_name` (the asset's) starts the name of each chunk's log batch."""
    made = {"records_created": 0, "changes_applied": 0, "base_values_stored": 0}
    new_rows = prospects.iloc[0:0]
    for chunk in creation_chunks(matched_prospects, prospects, crm_leads, crm_contacts, chunk_rows=chunk_rows,
                                 mappings=tenant.settings.field_mappings, matched_users=matched_users):
        at = now()
        log = connector_log_rows(chunk.changes, at=at)
        append_app_rows(db, tenant.id, "prospects", apply_inbound_changes(new_rows, chunk.changes), log,
                        run_id=run_id, batch=_chunk_batch(batch_name, chunk.changes), base=chunk.base, at=at)
        made["records_created"] += chunk.records
        made["changes_applied"] += len(log)
        made["base_values_stored"] += len(chunk.base)
    return made


def _chunk_batch(batch_name: str, changes: pd.DataFrame) -> str:
    """The log batch of a chunk, named by its first CRM record: log row ids are batch and position,
    so chunks must not share one, and a retried step that re-creates a chunk rewrites its own rows
    (chunks already committed hold their records and are never made again)."""
    return f"{batch_name}/created-from-{changes['crm_id'].iloc[0]}"
