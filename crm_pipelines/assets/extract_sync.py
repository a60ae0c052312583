"""Syncing one CRM object of one tenant into the warehouse: the loop behind each extract asset.

First sync: everything, deleted and merged records included and flagged (E3, E5).
Later syncs: what changed since `cursor - lookback`, so records sharing the cursor's timestamp and
records committed late are re-read rather than skipped (E2); re-reading is harmless because rows
are upserted by Id and only new or changed ones are written. Each page and the cursor after it
are committed together. Then the records the CRM deleted for good are flagged (extract_deletes).
When the budget, the org's reserve for its other integrations (held back by the CRM adapter) or the CRM
says "not now", what was read is kept and the `NotNow` is returned for the caller to defer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta

import pandas as pd

from crm_pipelines.assets.extract_deletes import DeletionSync, sync_deletions
from crm_pipelines.assets.extract_field_history import HistorySync, sync_field_history
from crm_pipelines.assets.org_usage import read_org_usage_at_start
from crm_pipelines.core.extraction import (
    Cursor,
    check_against_describe,
    convert_page,
    extra_fields_to_read,
    later,
)
from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID, ExtractedObject
from crm_pipelines.crm.errors import NotNow
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.crm.prefetch import read_ahead
from crm_pipelines.settings import Tenant
from crm_pipelines.store.crm_records import commit_page, mark_full_sync_complete, read_cursor, save_labels
from crm_pipelines.store.database import Database
from crm_pipelines.store.write_behind import WriteBehind

# The objects the app writes to, which carry its external id when the org has it (P8).
_EXTERNAL_ID_OBJECTS = {"Lead", "Contact", "Campaign"}


@dataclass
class ObjectSync:
    """What one object's sync did, for metadata and the deferral."""

    sobject: str
    mode: str = "full"
    records_read: int = 0
    rows_written: int = 0
    rows_deleted: int = 0
    rejected: int = 0
    pages: int = 0
    query_calls: int = 0
    cursor_before: Cursor | None = None
    cursor_after: Cursor | None = None
    # The CRM's time when this run's read began (its first page), in the CRM's clock.
    read_started_at: datetime | None = None
    missing_mapped_fields: list[str] = field(default_factory=list)
    label_changes: list[tuple[str, str, str]] = field(default_factory=list)
    preview: pd.DataFrame | None = None
    deletions: DeletionSync = field(default_factory=DeletionSync)
    history: HistorySync = field(default_factory=HistorySync)
    deferred: NotNow | None = None


def sync_object(
    crm: CrmPort,
    db: Database,
    obj: ExtractedObject,
    tenant: Tenant,
    *,
    now: Callable[[], datetime],
    run_id: str | None,
    batch_size: int | None = None,
    read_deletions: bool = True,
    progress: Callable[[str], None] = lambda line: None,
) -> ObjectSync:
    """`progress` hears a line after each page and when the object is done: a large first sync
    runs for many minutes, and the run's log should say how far it got."""
    state = read_cursor(db, tenant.id, obj.name)
    result = ObjectSync(obj.name, cursor_before=state.cursor, cursor_after=state.cursor)
    result.mode = "incremental" if state.full_sync_completed_at is not None else ("resumed full" if state.cursor else "full")
    lacking = crm.lacks(obj.name)
    if lacking is not None:
        result.mode = f"skipped: the tenant's CRM has no {obj.name} ({lacking})"
        progress(f"{obj.name}: {result.mode}")
        return result
    try:
        read_org_usage_at_start(crm, db, tenant.id, run_id, now)
        extra = _extra_fields(crm, db, obj, tenant, result, now)
        since = None
        if state.cursor is not None:
            since = state.cursor.modstamp - timedelta(seconds=tenant.settings.sync.lookback_seconds)
        writer = WriteBehind()
        try:
            for page in read_ahead(crm.read_changed(obj, extra, since, page_size=batch_size)):
                result.query_calls += 1
                if result.read_started_at is None:
                    result.read_started_at = crm.crm_time
                converted = convert_page(page.records, obj, extra)
                cursor = later(result.cursor_after, converted.cursor)
                writer.submit(partial(
                    commit_page, db, obj, tenant.id, converted.rows, converted.rejected, cursor,
                    extracted_at=now(), run_id=run_id, full_sync=state.full_sync_completed_at is None,
                ))
                result.pages += 1
                result.records_read += len(page.records)
                result.rows_deleted += int(converted.rows["is_deleted"].sum()) if len(converted.rows) else 0
                result.rejected += len(converted.rejected)
                result.cursor_after = cursor
                if result.preview is None and len(converted.rows):
                    result.preview = converted.rows.head(10)
                progress(f"{obj.name}: page {result.pages}, {result.records_read} records read, "
                         f"{crm.calls_sent} API calls so far")
        finally:
            # Whatever stopped the reading, every page read so far is committed (or its failure raised).
            result.rows_written = sum(writer.close())
        if state.full_sync_completed_at is None:
            mark_full_sync_complete(db, tenant.id, obj.name, now())
        # After the records, so every change they hold has its history row by now (F3).
        sync_field_history(crm, db, obj, tenant, now=now, into=result.history)
        # A full read done in one run saw every deletion up to its start: no delete log to read.
        full_read_from = result.read_started_at if state.cursor is None else None
        if read_deletions:
            sync_deletions(crm, db, obj, tenant.id, lookback=timedelta(seconds=tenant.settings.sync.lookback_seconds),
                           now=now, into=result.deletions, full_read_from=full_read_from)
    except NotNow as not_now:
        result.deferred = not_now
    progress(f"{obj.name}: {'deferred' if result.deferred else 'done'} ({result.mode}): {result.records_read} records "
             f"in {result.pages} pages, {result.rows_written} rows written, {crm.calls_sent} API calls")
    return result


def _extra_fields(crm: CrmPort, db: Database, obj: ExtractedObject, tenant: Tenant, result: ObjectSync,
                  now: Callable[[], datetime]) -> list[str]:
    """Mapped fields beyond the standard ones, confirmed by describe; labels kept (E6, E7)."""
    mapped = [m.crm_field for m in tenant.settings.field_mappings if m.crm_object == obj.name and m.direction != "none"]
    always = [APP_EXTERNAL_ID] if obj.name in _EXTERNAL_ID_OBJECTS else []
    wanted = extra_fields_to_read(mapped, obj, always)
    if not wanted:
        return []
    result.history.history_object = crm.field_history_of(obj.name)
    described = check_against_describe(wanted, crm.describe_fields(obj.name), required=always)
    result.missing_mapped_fields = described.missing
    result.label_changes = save_labels(db, tenant.id, obj.name, described.labels, now())
    return described.present
