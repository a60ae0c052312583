"""What the last ranged prospect comparison saw (issue 17), and the store-side changes since:
records extracted again, field history extracted, base rows stored, rows logged by a run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import pairs_stored_since
from crm_pipelines.store.tables import connector_log, crm_field_changes, field_sync_marks, metadata
from crm_pipelines.store.upsert import upsert_statement

_PEOPLE_TABLES = ("crm_contacts", "crm_leads")
_PEOPLE_OBJECTS = ("Contact", "Lead")


@dataclass(frozen=True)
class Marks:
    """One run's marks (see tables.field_sync_marks); `seen`: changed_ranges.Seen.to_bytes()."""

    fingerprint: str
    started_at: datetime
    seen: bytes
    committed_at: datetime | None = None
    extracted_until: datetime | None = None
    history_until: datetime | None = None
    run_id: str | None = None
    output_digest: str | None = None


_FIELDS = ("fingerprint", "started_at", "seen", "committed_at", "extracted_until", "history_until", "run_id",
           "output_digest")


def read_marks(db: Database, tenant_id: str, asset: str) -> Marks | None:
    table = field_sync_marks
    with db.engine.connect() as conn:
        row = conn.execute(select(*[table.c[f] for f in _FIELDS])
                           .where((table.c.tenant_id == tenant_id) & (table.c.asset == asset))).first()
    return None if row is None else Marks(**dict(zip(_FIELDS, row, strict=True)))


def store_marks(conn: Connection, tenant_id: str, asset: str, marks: Marks) -> None:
    """Within the caller's transaction: the marks move only with the result they describe."""
    values = {"tenant_id": tenant_id, "asset": asset, **{f: getattr(marks, f) for f in _FIELDS}}
    conn.execute(upsert_statement(conn, field_sync_marks, ["tenant_id", "asset"]), [values])


def forget_marks(db: Database, tenant_id: str, asset: str) -> None:
    """The next run compares everything (a run that compared otherwise, in one piece)."""
    with db.transaction() as conn:
        conn.execute(delete(field_sync_marks).where(
            (field_sync_marks.c.tenant_id == tenant_id) & (field_sync_marks.c.asset == asset)))


def latest_extracted(db: Database, tenant_id: str) -> tuple[datetime | None, datetime | None]:
    """The latest extracted_at of the tenant's Leads and Contacts, and of their field history."""
    with db.engine.connect() as conn:
        records = [conn.execute(select(func.max(t.c.extracted_at)).where(t.c.tenant_id == tenant_id)).scalar()
                   for t in (metadata.tables[n] for n in _PEOPLE_TABLES)]
        history = conn.execute(select(func.max(crm_field_changes.c.extracted_at)).where(
            (crm_field_changes.c.tenant_id == tenant_id) & crm_field_changes.c.sobject.in_(_PEOPLE_OBJECTS))).scalar()
    known = [r for r in records if r is not None]
    return (max(known) if known else None), history


def extracted_after(db: Database, tenant_id: str, records_after: datetime | None,
                    history_after: datetime | None) -> list[str]:
    """The ids of Leads and Contacts extracted after `records_after`, or whose field history was
    extracted after `history_after` (None: all of them). Strictly after: the rows extracted at
    the latest time the last run saw were there when it read (extraction runs before the sync)."""
    ids: list[str] = []
    with db.engine.connect() as conn:
        for table in (metadata.tables[n] for n in _PEOPLE_TABLES):
            where = table.c.tenant_id == tenant_id
            if records_after is not None:
                where = where & (table.c.extracted_at > records_after)
            ids += conn.execute(select(table.c.id).where(where)).scalars().all()
        history = crm_field_changes
        where = (history.c.tenant_id == tenant_id) & history.c.sobject.in_(_PEOPLE_OBJECTS)
        if history_after is not None:
            where = where & (history.c.extracted_at > history_after)
        ids += conn.execute(select(history.c.record_id).where(where).distinct()).scalars().all()
    return list(dict.fromkeys(ids))


def base_stored_since(db: Database, tenant_id: str, since: datetime,
                      except_at: datetime | None) -> tuple[list[str], list[str]]:
    """(app ids, CRM ids) of the prospect base rows stored at or after `since`, but for those
    stored at exactly `except_at` (the run's own commit, whose rows its next comparison finds
    stored and adds nothing to)."""
    with db.engine.connect() as conn:
        rows = pairs_stored_since(conn, tenant_id, "prospect", since, except_at)
    return list(dict.fromkeys(r[0] for r in rows)), list(dict.fromkeys(r[1] for r in rows))


def logged_by_run(db: Database, tenant_id: str, run_id: str | None, since: datetime) -> list[str]:
    """The prospects (app ids) the connector log has rows of from run `run_id`, logged at or after
    `since` (when the run began: what the log's time index serves), but for their creation: a run
    keeps the prospects it created in its marks as it committed them (changed_ranges.with_created),
    so the next run compares one only if it changed since (one missing from them is new to it)."""
    if run_id is None:
        return []
    log = connector_log
    with db.engine.connect() as conn:
        return conn.execute(select(log.c.app_id).where(
            (log.c.tenant_id == tenant_id) & (log.c.at >= since) & (log.c.run_id == run_id)
            & (log.c.object == "prospect") & log.c.reason.is_distinct_from("created_in_crm")
            & log.c.app_id.is_not(None)).distinct()).scalars().all()
