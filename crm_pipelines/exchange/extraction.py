"""Syncing one CRM object of one tenant into the warehouse: the page loop behind each extract asset.

First sync: everything, deleted and merged records included and flagged (E3, E5).
Later syncs: what changed since `cursor - lookback`, so records sharing the cursor's timestamp and
records committed late are re-read rather than skipped (E2); re-reading is harmless because rows
are upserted by Id and only new or changed ones are written. Each page and the cursor after it
are committed together. Then the records the CRM deleted for good are flagged (deletions).
When the budget, the org's reserve for its other integrations (held back by the CRM adapter) or the CRM
says "not now", what was read is kept and the `NotNow` is returned for the caller to defer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta

import pandas as pd

from crm_pipelines.core.extraction import (
    Cursor,
    check_against_describe,
    convert_page,
    extra_fields_to_read,
)
from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID, ExtractedObject
from crm_pipelines.core.object_sync import ReadInProgress, ReadTally, commit_for_page, read_since, sync_mode, tally_page
from crm_pipelines.crm.errors import NotNow
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.crm.prefetch import read_ahead
from crm_pipelines.exchange.deletions import DeletionSync, sync_deletions
from crm_pipelines.exchange.field_history import HistorySync, sync_field_history
from crm_pipelines.exchange.org_usage import keep_org_usage, read_org_usage_at_start
from crm_pipelines.settings import Tenant
from crm_pipelines.store.crm_records import commit_page, mark_full_sync_complete, read_cursor, save_labels
from crm_pipelines.store.database import Database
from crm_pipelines.store.write_behind import WriteBehind

# The objects the app writes to, which carry its external id when the org has it (P8).
_EXTERNAL_ID_OBJECTS = {"Lead", "Contact", "Campaign"}
# Seconds between two page lines of one object's read: each line is an event the run stores (a
# write to Dagster's event log, made while the read waits), and a log of how far a long read got
# needs one every few seconds, not one per page. A read shorter than that tells only its done line.
PROGRESS_EVERY_SECONDS = 10.0


@dataclass
class ObjectSync:
    """What one object's sync did, for metadata and the deferral."""

    sobject: str
    mode: str = "full"
    # How the records came: "REST" (in cursor order) or "bulk" (a Bulk job, in no order).
    read_with: str = "REST"
    read: ReadTally = field(default_factory=ReadTally)
    rows_written: int = 0
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
    progress_every: float = PROGRESS_EVERY_SECONDS,
) -> ObjectSync:
    """`progress` hears a line after a page once `progress_every` seconds have passed since the
    read began or its last page line, and when the object is done: a large first sync runs for
    many minutes, and the run's log should say how far it got."""
    state = read_cursor(db, tenant.id, obj.name)
    result = ObjectSync(obj.name, mode=sync_mode(state.cursor, state.full_sync_completed_at),
                        cursor_before=state.cursor, cursor_after=state.cursor)
    if state.in_progress is not None:
        result.mode += ", going on with an unfinished bulk read"
    lacking = crm.lacks(obj.name)
    if lacking is not None:
        result.mode = f"skipped: the tenant's CRM has no {obj.name} ({lacking})"
        progress(f"{obj.name}: {result.mode}")
        return result
    lookback = timedelta(seconds=tenant.settings.sync.lookback_seconds)
    try:
        read_org_usage_at_start(crm, db, tenant.id, run_id, now)
        extra = _extra_fields(crm, db, obj, tenant, result, now)
        _read_pages(crm, db, obj, tenant.id, extra, read_since(state.cursor, lookback), result, now=now,
                    run_id=run_id, full_sync=state.full_sync_completed_at is None, batch_size=batch_size,
                    progress=_every(progress, progress_every), in_progress=state.in_progress)
        if state.full_sync_completed_at is None:
            mark_full_sync_complete(db, tenant.id, obj.name, now())
        # After the records, so every change they hold has its history row by now (F3).
        sync_field_history(crm, db, obj, tenant, now=now, into=result.history)
        # A full read done in one run saw every deletion up to its start: no delete log to read.
        full_read_from = result.read_started_at if state.cursor is None else None
        if read_deletions:
            sync_deletions(crm, db, obj, tenant.id, lookback=lookback, now=now, into=result.deletions,
                           full_read_from=full_read_from)
    except NotNow as not_now:
        result.deferred = not_now
    progress(f"{obj.name}: {'deferred' if result.deferred else 'done'} ({result.mode}): {result.read.records_read} "
             f"records in {result.read.pages} pages, {result.rows_written} rows written, {crm.calls_sent} API calls")
    return result


def _every(progress: Callable[[str], None], seconds: float) -> Callable[[str], None]:
    """`progress`, hearing a line only once `seconds` have passed since it was made or last heard."""
    last = [time.monotonic()]

    def throttled(line: str) -> None:
        if time.monotonic() - last[0] >= seconds:
            progress(line)
            last[0] = time.monotonic()

    return throttled


def _read_pages(crm: CrmPort, db: Database, obj: ExtractedObject, tenant_id: str, extra: list[str],
                since: datetime | None, result: ObjectSync, *, now: Callable[[], datetime], run_id: str | None,
                full_sync: bool, batch_size: int | None, progress: Callable[[str], None],
                in_progress: ReadInProgress | None = None) -> None:
    """The records of `obj` changed since `since`, page by page into the warehouse, each page
    committed with the cursor after it (or, for an unordered read, with where the read stands)
    while the next is read; tallied into `result`. `in_progress`: an unordered read an earlier
    run left, which goes on from its next page."""
    writer = WriteBehind()
    seen = in_progress.seen if in_progress else None
    resume_from = in_progress.resume_from if in_progress else None
    try:
        for page in read_ahead(crm.read_changed(obj, extra, since, page_size=batch_size, resume_from=resume_from)):
            if result.read_started_at is None:
                # An unordered read is a snapshot the CRM took when it began, maybe in an earlier run.
                result.read_started_at = page.read_started_at or crm.crm_time
            converted = convert_page(page.records, obj, extra)
            commit = commit_for_page(result.cursor_after, seen, converted.cursor, ordered=page.ordered,
                                     resume_from=page.resume_from, started_at=page.read_started_at)
            writer.submit(partial(commit_page, db, obj, tenant_id, converted.rows, converted.rejected, commit.cursor,
                                  extracted_at=now(), run_id=run_id, full_sync=full_sync,
                                  in_progress=commit.in_progress))
            result.read = tally_page(result.read, len(page.records), converted)
            result.read_with = "REST" if page.ordered else "bulk"
            seen = commit.in_progress.seen if commit.in_progress else None
            result.cursor_after = commit.cursor or result.cursor_after
            if result.preview is None and len(converted.rows):
                result.preview = converted.rows.head(10)
            progress(f"{obj.name}: page {result.read.pages}, {result.read.records_read} records read, "
                     f"{crm.calls_sent} API calls so far")
    finally:
        # Whatever stopped the reading, every page read so far is committed (or its failure raised).
        result.rows_written = sum(writer.close())


def read_in_turn(crm: CrmPort, db: Database, objects: Sequence[ExtractedObject], tenant: Tenant, *,
                 now: Callable[[], datetime], run_id: str | None, read_deletions: bool = True,
                 progress: Callable[[str], None] = lambda line: None,
                 warn: Callable[[str], None] = lambda line: None,
                 settle: Callable[[ObjectSync], None] = lambda result: None) -> list[ObjectSync]:
    """`objects` synced one after the other until one is deferred: the next would be told "not
    now" too. After each, the org's usage is recorded for the run's next assets and `settle`
    hears the result (to record or strike off its deferral); `warn` hears each mapped field the
    org lacks."""
    results: list[ObjectSync] = []
    for obj in objects:
        result = sync_object(crm, db, obj, tenant, now=now, run_id=run_id, read_deletions=read_deletions,
                             progress=progress)
        keep_org_usage(crm, db, tenant.id, run_id, now)
        settle(result)
        for missing in result.missing_mapped_fields:
            warn(f"{obj.name}.{missing} is mapped but the org has no such field (describe); not read")
        results.append(result)
        if result.deferred is not None:
            break
    return results


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
