"""The CRM's latest change time of each (record, field), read from its field history (F3), and
the history cursor, written together page by page as the records' are (E2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import case

from crm_pipelines.core.extraction import Cursor
from crm_pipelines.store.bulk import read_frame, typed_frame
from crm_pipelines.store.crm_records import write_cursor
from crm_pipelines.store.database import Database
from crm_pipelines.store.key_ranges import KeyRange, ids_in
from crm_pipelines.store.tables import crm_field_changes
from crm_pipelines.store.upsert import upsert_statement

_KEYS = ["tenant_id", "sobject", "record_id", "field"]


def commit_field_changes(db: Database, tenant_id: str, sobject: str, history_object: str, changes: pd.DataFrame,
                         cursor: Cursor | None, *, extracted_at: datetime) -> int:
    """Keep the later of the stored and the read time of each (record_id, field) in `changes`
    (record_id, field, changed_at), and the cursor, atomically. A history row read again (the
    lookback) never moves a time back."""
    latest = changes.groupby(["record_id", "field"], as_index=False)["changed_at"].max()
    rows = [{"tenant_id": tenant_id, "sobject": sobject, "record_id": r.record_id, "field": r.field,
             "changed_at": pd.Timestamp(r.changed_at).to_pydatetime(), "extracted_at": extracted_at}
            for r in latest.itertuples(index=False)]
    table = crm_field_changes
    with db.transaction() as conn:
        if rows:
            conn.execute(upsert_statement(conn, table, _KEYS, update=lambda ex: {
                "changed_at": case((ex.changed_at > table.c.changed_at, ex.changed_at), else_=table.c.changed_at),
                "extracted_at": ex.extracted_at}), rows)
        if cursor is not None:
            write_cursor(conn, tenant_id, history_object,
                         {"cursor_modstamp": cursor.modstamp, "cursor_id": cursor.record_id}, extracted_at)
    return len(rows)


def read_field_changes(db: Database, tenant_id: str, sobject: str | None = None, *,
                       record_ids: KeyRange | Sequence[str] | None = None) -> pd.DataFrame:
    """crm_change_times.FIELD_TIME_COLUMNS (crm_id, field, changed_at) of the tenant, one object's or
    all; with `record_ids`, only those of records in that key range, or of those ids (read a few
    thousand at a time: give `sobject` with a list, so each read takes the table's key)."""
    where = crm_field_changes.c.tenant_id == tenant_id
    if sobject is not None:
        where = where & (crm_field_changes.c.sobject == sobject)
    wheres = [where]
    if isinstance(record_ids, KeyRange):
        wheres = [where & record_ids.holds(crm_field_changes.c.record_id)]
    elif record_ids is not None:
        wheres = [where & within for within in ids_in(crm_field_changes.c.record_id, list(dict.fromkeys(record_ids)))]
    if not wheres:  # no ids: nothing to ask the database
        frame = typed_frame(pd.DataFrame(columns=[c.name for c in crm_field_changes.columns]), crm_field_changes)
    else:
        with db.engine.connect() as conn:
            parts = [read_frame(conn, crm_field_changes, w, order_by=["sobject", "record_id", "field"]) for w in wheres]
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"crm_id": frame["record_id"].astype("string"), "field": frame["field"].astype("string"),
                         "changed_at": pd.to_datetime(frame["changed_at"], utc=True)})
