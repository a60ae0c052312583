"""Which warehouse records the CRM has deleted for good (E3): from its delete log, or, when the log no
longer reaches back far enough, from the Ids it still has.

A record in the recycle bin comes back through queryAll with IsDeleted; one hard-deleted or emptied
from the bin does not come back at all, so only the delete log (`/sobjects/{T}/deleted/`, 30 days)
or the absence of its Id tells us it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

# Salesforce's replication windows are whole minutes, and start must precede end by one at least.
_MINUTE = timedelta(minutes=1)

DELETION_COLUMNS = ("id", "deleted_at")


@dataclass(frozen=True)
class DeleteLogWindow:
    start: datetime
    end: datetime


def delete_log_window(covered_until: datetime | None, cursor_modstamp: datetime | None, lookback: timedelta,
                      crm_now: datetime) -> DeleteLogWindow | None:
    """The window of the delete log to read next: from where the last read stopped (or, the first
    time, from the record cursor less the lookback) to the CRM's now; None when there is nothing
    to read (nothing extracted yet, or less than a whole minute since the last read)."""
    start = covered_until if covered_until is not None else (
        cursor_modstamp - lookback if cursor_modstamp is not None else None)
    if start is None:
        return None
    if _floor_minute(crm_now) - _floor_minute(start) < _MINUTE:
        return None
    return DeleteLogWindow(start, crm_now)


def log_reaches_back_to(earliest_available: datetime | None, start: datetime) -> bool:
    """Whether the delete log still holds every deletion since `start` (when it has been purged
    past it, Salesforce says to resync)."""
    return earliest_available is None or _floor_minute(earliest_available) <= _floor_minute(start)


def deletions_from_log(deleted_records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """`deletedRecords` of the delete log as rows (id, deleted_at), one per id (the latest)."""
    records = list(deleted_records)
    frame = pd.DataFrame({
        "id": pd.Series([str(r["id"]) for r in records], dtype="string"),
        "deleted_at": pd.to_datetime(pd.Series([r.get("deletedDate") for r in records], dtype=object),
                                     format="ISO8601", utc=True),
    })
    return frame.sort_values("deleted_at").drop_duplicates("id", keep="last").reset_index(drop=True)


def missing_from_crm(ours: Sequence[str], crm_ids: Iterable[str], noticed_at: datetime) -> pd.DataFrame:
    """Our live records whose Id the CRM no longer has, as deletions noticed at `noticed_at` (the
    CRM does not say when they went)."""
    present = set(crm_ids)
    gone = sorted(record_id for record_id in ours if record_id not in present)
    return pd.DataFrame({
        "id": pd.Series(gone, dtype="string"),
        "deleted_at": pd.Series([pd.Timestamp(noticed_at)] * len(gone), dtype="datetime64[us, UTC]"),
    })


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
