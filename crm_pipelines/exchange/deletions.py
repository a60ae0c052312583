"""Records the CRM deleted for good (hard deletes, an emptied recycle bin), flagged in the warehouse (E3).

After an object's changed records are read, its delete log is read for the window since the last
read (one call; the CRM's own time, from its Date header). When the log no longer reaches back that
far (Salesforce's is kept 30 days, or purged early), or the CRM keeps none, the CRM's Id set is
compared with ours instead, a page of Ids a call. Rows are flagged, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_pipelines.core.crm_objects import ExtractedObject
from crm_pipelines.core.deletions import (
    delete_log_window,
    deletions_from_log,
    log_reaches_back_to,
    missing_from_crm,
)
from crm_pipelines.crm.errors import DeleteLogTooOld
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.store.crm_records import CursorState, flag_deleted, live_ids, read_cursor
from crm_pipelines.store.database import Database

# An Id set is read while the CRM keeps changing: deletions in the minute it started are read
# again from the delete log next time rather than missed.
_ID_SET_MARGIN = timedelta(minutes=1)


@dataclass
class DeletionSync:
    delete_log_calls: int = 0
    flagged_from_log: int = 0
    reconciled: bool = False
    flagged_by_id_set: int = 0
    id_set_pages: int = 0


def sync_deletions(crm: CrmPort, db: Database, obj: ExtractedObject, tenant_id: str, *, lookback: timedelta,
                   now: Callable[[], datetime], into: DeletionSync, full_read_from: datetime | None = None) -> None:
    """Flag what `obj` lost in the CRM since the last look. Raises NotNow like any CRM call; what
    was flagged before it stays flagged, and the coverage only moves once a window is done.
    `full_read_from`: this run read everything (queryAll) from that CRM time on, so deletions are
    known up to then without asking."""
    if not obj.soft_deletes:
        return
    if full_read_from is not None:
        flag_deleted(db, obj, tenant_id, missing_from_crm([], [], full_read_from), extracted_at=now(),
                     covered_until=full_read_from - lookback)
        return
    state = read_cursor(db, tenant_id, obj.name)
    if not crm.has_delete_log:
        _reconcile_by_id_set(crm, db, obj, tenant_id, now=now, into=into)
        return
    crm_now = crm.crm_time or now()
    window = delete_log_window(state.deletes_covered_until, _modstamp(state), lookback, crm_now)
    if window is None:
        return
    try:
        into.delete_log_calls += 1
        log = crm.read_deleted(obj.name, window.start, window.end)
    except DeleteLogTooOld:
        _reconcile_by_id_set(crm, db, obj, tenant_id, now=now, into=into)
        return
    if not log_reaches_back_to(log.earliest_available, window.start):
        _reconcile_by_id_set(crm, db, obj, tenant_id, now=now, into=into)
        return
    covered = log.latest_covered or window.end
    into.flagged_from_log += flag_deleted(db, obj, tenant_id, deletions_from_log(log.deleted),
                                          extracted_at=now(), covered_until=covered)


def _reconcile_by_id_set(crm: CrmPort, db: Database, obj: ExtractedObject, tenant_id: str, *,
                         now: Callable[[], datetime], into: DeletionSync) -> None:
    into.reconciled = True
    started = None
    crm_ids: list[str] = []
    for page in crm.list_ids(obj.name, include_deleted=True):
        if started is None:
            started = crm.crm_time or now()
        into.id_set_pages += 1
        crm_ids.extend(page)
    noticed = started or now()
    gone = missing_from_crm(live_ids(db, obj, tenant_id), crm_ids, noticed)
    into.flagged_by_id_set += flag_deleted(db, obj, tenant_id, gone, extracted_at=now(),
                                           covered_until=noticed - _ID_SET_MARGIN)


def _modstamp(state: CursorState) -> datetime | None:
    return state.cursor.modstamp if state.cursor is not None else None

