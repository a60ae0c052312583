"""The prospects a sync creates from the CRM's Leads and Contacts (F4.1), committed a chunk of
records at a time, so a first connection to a large org runs in memory bounded by the chunk and
not by the org (issue 17). The records come a key range at a time (prospect_ranges: every column
of one range read from the store), and a range's free records in chunks of
`CRM_PIPELINES_CREATION_CHUNK_ROWS` (default 20,000: at `medium` the step peaked at 807 MiB with
it against 1,087 MiB at 50,000); 0 makes a range's creations in one chunk."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import pyarrow as pa

from crm_pipelines.core.field_sync import apply_inbound_changes, connector_log_rows
from crm_pipelines.core.emails import text_series
from crm_pipelines.core.field_sync.changed_ranges import texts
from crm_pipelines.core.field_sync.prospect_creation import CreatedChunk, created_chunk
from crm_pipelines.core.matching.people import CONTACT, LEAD
from crm_pipelines.exchange.prospect_ranges import (
    AppProspects, OrgPeople, Placement, free_by_range, free_records, read_range_frames,
)
from crm_pipelines.settings import Tenant
from crm_pipelines.store.app_appends import append_app_rows
from crm_pipelines.store.database import Database

CHUNK_ROWS_ENV = "CRM_PIPELINES_CREATION_CHUNK_ROWS"
DEFAULT_CHUNK_ROWS = 20_000


def creation_chunk_rows() -> int:
    """Records per chunk of created prospects; 0 when a range's are made in one chunk."""
    return int(os.environ.get(CHUNK_ROWS_ENV, DEFAULT_CHUNK_ROWS))


@dataclass
class CreatedProspects:
    """What creation committed: counts for the asset's metadata, and the id, CRM id and CRM type
    of each prospect created (Arrow text, a chunk at a time)."""

    counts: dict[str, int] = field(default_factory=lambda: {
        "records_created": 0, "changes_applied": 0, "base_values_stored": 0})
    parts: list[pa.Table] = field(default_factory=list)

    def rows(self) -> pd.DataFrame:
        """prospect_id, crm_id, crm_type of every prospect created."""
        columns = ["prospect_id", "crm_id", "crm_type"]
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
        table = pa.concat_tables(self.parts)
        return pd.DataFrame({c: text_series(texts(table[c])) for c in columns})


def create_prospects_in_chunks(db: Database, tenant: Tenant, org: OrgPeople, prospects: AppProspects,
                               placement: Placement, matched_users: pd.DataFrame, chunk_rows: int, *,
                               now: Callable[[], datetime], run_id: str, batch_name: str) -> CreatedProspects:
    """Create and commit the new prospects chunk by chunk. `prospects` is the table before this
    sync and `placement` where each of them is (Placement.of with the run's matches): who holds
    which record is all a chunk needs of them. `batch_name` (the asset's) starts the name of each
    chunk's log batch."""
    made = CreatedProspects()
    new_rows = prospects.none()
    app_columns = list(new_rows.columns)
    for crm_range, rows in free_by_range(org, free_records(org, placement)):
        people = org.range_people(crm_range)
        crm_leads, crm_contacts = read_range_frames(db, tenant.id, crm_range, people)
        frames = {CONTACT: crm_contacts, LEAD: crm_leads}
        step = chunk_rows if chunk_rows > 0 else len(rows)
        for start in range(0, len(rows), step):
            chunk = created_chunk(people, rows[start:start + step], frames, len(crm_contacts), app_columns,
                                  tenant.settings.field_mappings, matched_users)
            _commit_chunk(db, tenant, new_rows, chunk, made, at=now(), run_id=run_id, batch_name=batch_name)
    return made


def _commit_chunk(db: Database, tenant: Tenant, new_rows: pd.DataFrame, chunk: CreatedChunk, made: CreatedProspects,
                  *, at: datetime, run_id: str, batch_name: str) -> None:
    log = connector_log_rows(chunk.changes, at=at)
    created = apply_inbound_changes(new_rows, chunk.changes)
    append_app_rows(db, tenant.id, "prospects", created, log,
                    run_id=run_id, batch=_chunk_batch(batch_name, chunk.changes), base=chunk.base, at=at)
    made.counts["records_created"] += chunk.records
    made.counts["changes_applied"] += len(chunk.changes)
    made.counts["base_values_stored"] += len(chunk.base)
    made.parts.append(pa.table({c: texts(created[c]) for c in ("prospect_id", "crm_id", "crm_type")}))


def _chunk_batch(batch_name: str, changes: pd.DataFrame) -> str:
    """The log batch of a chunk, named by its first CRM record: log row ids are batch and position,
    so chunks must not share one, and a retried step that re-creates a chunk rewrites its own rows
    (chunks already committed hold their records and are never made again)."""
    return f"{batch_name}/created-from-{changes['crm_id'].iloc[0]}"
