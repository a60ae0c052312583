"""One object's sync as choices and numbers: its mode, where its read starts, which fields'
history it reads, and what its pages add up to. The exchange with the CRM (exchange/extraction)
asks these at each step of its page loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from crm_pipelines.core.extraction import Cursor, Page, later
from crm_pipelines.settings import FieldMapping


def sync_mode(cursor: Cursor | None, full_sync_completed_at: datetime | None) -> str:
    """"incremental" once the object's first full sync completed; until then "full", or "resumed
    full" when an earlier full sync stopped part way and left a cursor to go on from (E2)."""
    if full_sync_completed_at is not None:
        return "incremental"
    return "resumed full" if cursor is not None else "full"


def read_since(cursor: Cursor | None, lookback: timedelta) -> datetime | None:
    """Where a read starts: `lookback` before the cursor, so records sharing its timestamp and
    records committed late are read again rather than skipped (E2); None (everything) without one."""
    return None if cursor is None else cursor.modstamp - lookback


def two_way_fields(mappings: Sequence[FieldMapping], crm_object: str) -> list[str]:
    """The fields of `crm_object` mapped both ways: the ones whose change times decide conflicts (F3)."""
    return sorted({m.crm_field for m in mappings if m.crm_object == crm_object and m.direction == "two_way"})


@dataclass(frozen=True)
class ReadTally:
    """What the pages of an object's read held, page after page."""

    pages: int = 0
    records_read: int = 0
    rows_deleted: int = 0
    rejected: int = 0


def tally_page(tally: ReadTally, records: int, page: Page) -> ReadTally:
    """`tally` with one more page of `records` CRM records, converted into `page`."""
    deleted = int(page.rows["is_deleted"].sum()) if len(page.rows) else 0
    return replace(tally, pages=tally.pages + 1, records_read=tally.records_read + records,
                   rows_deleted=tally.rows_deleted + deleted, rejected=tally.rejected + len(page.rejected))


@dataclass(frozen=True)
class ReadInProgress:
    """An unordered read (a Bulk job) stopped before its last page: the CRM port's point to go on
    from, the latest record it stored so far, and when the CRM took the read's snapshot."""

    resume_from: str
    seen: Cursor | None
    started_at: datetime | None


@dataclass(frozen=True)
class PageCommit:
    """What to store with a page besides its rows: the cursor (None: leave it where it is) and an
    unordered read not yet ended (None: none, or it just ended)."""

    cursor: Cursor | None
    in_progress: ReadInProgress | None


def commit_for_page(cursor: Cursor | None, seen: Cursor | None, page_cursor: Cursor | None, *, ordered: bool,
                    resume_from: str | None, started_at: datetime | None) -> PageCommit:
    """The cursor moves past a page read in cursor order at once. A page of an unordered read moves
    nothing: a record later in the read may be older than every record so far, and a cursor past
    it would skip it for good (the missed-record bug of extractors that commit a Bulk read's
    cursor per page). Such a read keeps where it stands and the latest record it stored (`seen`,
    with this page's), and its last page moves the cursor to the latest record of the whole read."""
    if ordered:
        return PageCommit(later(cursor, page_cursor), None)
    seen = later(seen, page_cursor)
    if resume_from is not None:
        return PageCommit(None, ReadInProgress(resume_from, seen, started_at))
    return PageCommit(later(cursor, seen), None)
