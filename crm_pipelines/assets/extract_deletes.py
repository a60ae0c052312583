"""Records the CRM deleted for good (hard deletes, an emptied recycle bin), flagged in the warehouse (E3).

After an object's changed records are read, its delete log is read for the window since the last
read (one call; the CRM's own time, from its Date header). When the log no longer reaches back that
far (INVALID_REPLICATION_DATE past its 30 days, or purged early), the CRM's Id set is compared with
ours instead: `SELECT Id` through queryAll, 2,000 Ids a call. Rows are flagged, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from crm_pipelines.core.crm_objects import CrmObject
from crm_pipelines.core.deletions import (
    delete_log_window,
    deletions_from_log,
    log_reaches_back_to,
    missing_from_crm,
)
from crm_pipelines.crm.salesforce.client import SalesforceClient
from crm_pipelines.crm.errors import CrmApiError
from crm_pipelines.store.crm_records import CursorState, flag_deleted, live_ids, read_cursor
from crm_pipelines.store.database import Database

# The delete log's own rule; a window it refuses is reconciled by Id set instead.
_LOG_TOO_OLD = "INVALID_REPLICATION_DATE"
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


def sync_deletions(client: SalesforceClient, db: Database, obj: CrmObject, tenant_id: str, *, lookback: timedelta,
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
    crm_now = client.crm_time or now()
    window = delete_log_window(state.deletes_covered_until, _modstamp(state), lookback, crm_now)
    if window is None:
        return
    try:
        into.delete_log_calls += 1
        log = client.deleted(obj.name, window.start, window.end)
    except CrmApiError as refused:
        if refused.error_code != _LOG_TOO_OLD:
            raise
        _reconcile_by_id_set(client, db, obj, tenant_id, now=now, into=into)
        return
    if not log_reaches_back_to(_parsed(log.get("earliestDateAvailable")), window.start):
        _reconcile_by_id_set(client, db, obj, tenant_id, now=now, into=into)
        return
    covered = _parsed(log.get("latestDateCovered")) or window.end
    into.flagged_from_log += flag_deleted(db, obj, tenant_id, deletions_from_log(log.get("deletedRecords", [])),
                                          extracted_at=now(), covered_until=covered)


def _reconcile_by_id_set(client: SalesforceClient, db: Database, obj: CrmObject, tenant_id: str, *,
                         now: Callable[[], datetime], into: DeletionSync) -> None:
    into.reconciled = True
    started = None
    crm_ids: list[str] = []
    for page in client.ids(obj.name, include_deleted=True):
        if started is None:
            started = client.crm_time or now()
        into.id_set_pages += 1
        crm_ids.extend(page)
    noticed = started or now()
    gone = missing_from_crm(live_ids(db, obj, tenant_id), crm_ids, noticed)
    into.flagged_by_id_set += flag_deleted(db, obj, tenant_id, gone, extracted_at=now(),
                                           covered_until=noticed - _ID_SET_MARGIN)


def _modstamp(state: CursorState) -> datetime | None:
    return state.cursor.modstamp if state.cursor is not None else None


def _parsed(text: object) -> datetime | None:
    if not text:
        return None
    return pd.Timestamp(str(text)).tz_convert("UTC").to_pydatetime()
