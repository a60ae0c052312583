"""Extracted CRM records in the warehouse, and their cursors (E2, E3).

A page of records and the cursor that covers it are written in one transaction: a crash between
pages loses nothing, since the cursor never gets ahead of the rows (E2). Rows are upserted by
(tenant, Id), so re-reading a record is harmless; only new or changed records are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import or_, select, text, update

from crm_pipelines.core.extraction import Cursor, Rejected
from crm_pipelines.core.object_sync import ReadInProgress
from crm_pipelines.crm.port import OrgUsage
from crm_pipelines.core.crm_objects import ExtractedObject
from crm_pipelines.store.bulk import read_frame, upsert_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import (
    crm_field_labels,
    crm_org_limits,
    crm_rejected_records,
    crm_tables,
    extract_cursors,
)
from crm_pipelines.store.upsert import upsert_statement


@dataclass(frozen=True)
class CursorState:
    cursor: Cursor | None
    full_sync_completed_at: datetime | None
    deletes_covered_until: datetime | None = None
    in_progress: ReadInProgress | None = None


def read_cursor(db: Database, tenant_id: str, sobject: str) -> CursorState:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(extract_cursors).where(extract_cursors.c.tenant_id == tenant_id, extract_cursors.c.sobject == sobject)
        ).mappings().first()
    if row is None:
        return CursorState(None, None)
    cursor = Cursor(row["cursor_modstamp"], row["cursor_id"]) if row["cursor_modstamp"] is not None else None
    in_progress = None
    if row["read_resume_from"] is not None:
        seen = Cursor(row["read_seen_modstamp"], row["read_seen_id"]) if row["read_seen_modstamp"] is not None else None
        in_progress = ReadInProgress(row["read_resume_from"], seen, row["read_started_at"])
    return CursorState(cursor, row["full_sync_completed_at"], row["deletes_covered_until"], in_progress)


def _progress_values(in_progress: ReadInProgress | None) -> dict:
    seen = in_progress.seen if in_progress else None
    return {
        "read_resume_from": in_progress.resume_from if in_progress else None,
        "read_seen_modstamp": seen.modstamp if seen else None,
        "read_seen_id": seen.record_id if seen else None,
        "read_started_at": in_progress.started_at if in_progress else None,
    }


def commit_page(
    db: Database, obj: ExtractedObject, tenant_id: str, rows: pd.DataFrame, rejected: list[Rejected],
    cursor: Cursor | None, *, extracted_at: datetime, run_id: str | None, full_sync: bool = False,
    in_progress: ReadInProgress | None = None,
) -> int:
    """Write the page's new or changed rows, its rejects and the cursor, atomically; returns rows written.
    A page of an unordered read that is not its last passes `in_progress` (and no cursor): kept
    with the rows, so a later run goes on from the next page; any other page with a cursor clears it.

    During a first full sync every row is (almost always) new, so rows are upserted without first
    looking up which of them changed, and the page's commit does not wait for its WAL flush
    (`synchronous_commit = off`; some 20% of the page's write in bench_page_copy): a PostgreSQL
    crash may lose the last such pages, each with its cursor, so the next run reads them again; the
    object's end (`mark_full_sync_complete`) commits as usual, which flushes every page before it."""
    table = crm_tables[obj.name]
    with db.transaction() as conn:
        if full_sync and db.is_postgres:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        changed = rows if full_sync else _new_or_changed(conn, table, tenant_id, rows)
        written = upsert_frame(
            conn, table, changed.assign(tenant_id=tenant_id, extracted_at=extracted_at), ["tenant_id", "id"],
            context=f"tenant '{tenant_id}', {obj.name}", likely_new=full_sync,
        )
        if rejected:
            conn.execute(
                crm_rejected_records.insert(),
                [
                    {"tenant_id": tenant_id, "sobject": obj.name, "record_id": r.record_id, "reason": r.reason,
                     "raw": r.raw, "run_id": run_id, "rejected_at": extracted_at}
                    for r in rejected
                ],
            )
        values = _progress_values(in_progress) if (cursor is not None or in_progress is not None) else {}
        if cursor is not None:
            values.update(cursor_modstamp=cursor.modstamp, cursor_id=cursor.record_id)
        if values:
            write_cursor(conn, tenant_id, obj.name, values, extracted_at)
    return written


def mark_full_sync_complete(db: Database, tenant_id: str, sobject: str, at: datetime) -> None:
    with db.transaction() as conn:
        write_cursor(conn, tenant_id, sobject, {"full_sync_completed_at": at}, at)
    if db.is_postgres:
        # The table just grew from nothing; fresh statistics let the planner use the primary key
        # for the incremental syncs' lookups instead of scanning the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'ANALYZE "{crm_tables[sobject].name}"')


def flag_deleted(db: Database, obj: ExtractedObject, tenant_id: str, deletions: pd.DataFrame, *, extracted_at: datetime,
                 covered_until: datetime | None) -> int:
    """Flag the records the CRM deleted for good (E3): `deletions` (id, deleted_at). Rows are kept;
    a row already flagged, or changed in the CRM after the deletion (undeleted since), is left as
    it is. The delete log's new coverage is written in the same transaction; returns rows flagged."""
    table = crm_tables[obj.name]
    flagged = 0
    with db.transaction() as conn:
        for record_id, deleted_at in zip(deletions["id"].tolist(), deletions["deleted_at"].tolist(), strict=True):
            moment = pd.Timestamp(deleted_at).to_pydatetime()
            flagged += conn.execute(
                update(table)
                .where(table.c.tenant_id == tenant_id, table.c.id == record_id, table.c.is_deleted.is_(False),
                       or_(table.c.system_modstamp.is_(None), table.c.system_modstamp <= moment))
                .values(is_deleted=True, deleted_at=moment, extracted_at=extracted_at)
            ).rowcount
        if covered_until is not None:
            write_cursor(conn, tenant_id, obj.name, {"deletes_covered_until": covered_until}, extracted_at)
    return flagged


def live_ids(db: Database, obj: ExtractedObject, tenant_id: str) -> list[str]:
    """The Ids of the tenant's records of `obj` not flagged deleted."""
    table = crm_tables[obj.name]
    with db.engine.connect() as conn:
        return list(conn.execute(
            select(table.c.id).where(table.c.tenant_id == tenant_id, table.c.is_deleted.is_(False))
        ).scalars())


def read_records(db: Database, obj: ExtractedObject, tenant_id: str) -> pd.DataFrame:
    table = crm_tables[obj.name]
    with db.engine.connect() as conn:
        return read_frame(conn, table, table.c.tenant_id == tenant_id, order_by=["id"])


def save_labels(db: Database, tenant_id: str, sobject: str, labels: dict[str, str], at: datetime) -> list[tuple[str, str, str]]:
    """Store the CRM's labels of mapped fields (E7); returns (field, old, new) for labels that changed."""
    changed: list[tuple[str, str, str]] = []
    with db.transaction() as conn:
        known = {
            r.field: r.label
            for r in conn.execute(
                select(crm_field_labels.c.field, crm_field_labels.c.label).where(
                    crm_field_labels.c.tenant_id == tenant_id, crm_field_labels.c.sobject == sobject
                )
            )
        }
        for field, label in sorted(labels.items()):
            if known.get(field) == label:
                continue
            if field in known:
                changed.append((field, known[field], label))
            conn.execute(
                upsert_statement(conn, crm_field_labels, ["tenant_id", "sobject", "field"]),
                {"tenant_id": tenant_id, "sobject": sobject, "field": field, "label": label,
                 "previous_label": known.get(field), "updated_at": at},
            )
    return changed


def _new_or_changed(conn, table, tenant_id: str, rows: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    if rows.empty:
        return rows
    stored = pd.DataFrame(
        conn.execute(
            select(table.c.id, table.c.system_modstamp, table.c.is_deleted).where(
                table.c.tenant_id == tenant_id, table.c.id.in_(rows["id"].tolist())
            )
        ).all(),
        columns=["id", "stored_modstamp", "stored_deleted"],
    )
    if stored.empty:
        return rows
    stored["stored_modstamp"] = pd.to_datetime(stored["stored_modstamp"], utc=True)
    merged = rows.merge(stored, on="id", how="left")
    unchanged = (merged["stored_modstamp"] == merged["system_modstamp"]) & (
        merged["stored_deleted"].astype("boolean") == merged["is_deleted"].astype("boolean")
    )
    return rows.loc[~unchanged.fillna(False).to_numpy()].reset_index(drop=True)


def write_cursor(conn, tenant_id: str, sobject: str, values: dict, at: datetime) -> None:  # type: ignore[no-untyped-def]
    row = {"tenant_id": tenant_id, "sobject": sobject, "updated_at": at, **values}
    conn.execute(
        upsert_statement(conn, extract_cursors, ["tenant_id", "sobject"], update=lambda ex: {k: ex[k] for k in [*values, "updated_at"]}),
        row,
    )


def record_org_usage(db: Database, tenant_id: str, usage: OrgUsage, at: datetime, run_id: str | None = None) -> None:
    """The org's own API usage as last reported (/limits, Sforce-Limit-Info) and the run that read
    it, for the run's next assets, metadata and the UI."""
    with db.transaction() as conn:
        conn.execute(
            upsert_statement(conn, crm_org_limits, ["tenant_id"]),
            {"tenant_id": tenant_id, "used": usage.used, "max": usage.max, "observed_at": at, "run_id": run_id},
        )


def org_usage_read_by_run(db: Database, tenant_id: str, run_id: str) -> OrgUsage | None:
    """The org's usage as this run last saw it, if the run has read it already."""
    with db.engine.connect() as conn:
        row = conn.execute(
            select(crm_org_limits.c.used, crm_org_limits.c.max)
            .where(crm_org_limits.c.tenant_id == tenant_id, crm_org_limits.c.run_id == run_id)
        ).first()
    return OrgUsage(int(row.used), int(row.max)) if row is not None else None
