"""The connector log (F8): appending the changes a sync applied, and reading them back.

Rows are core.field_sync's connector-log rows (LOG_COLUMNS) plus the tenant and the run. Each row's
id is `<run>/<batch>/<position>`: a step retried within its run writes the same ids again and so
replaces its own rows rather than logging its changes twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, and_, desc, or_, select

from crm_pipelines.store.bulk import typed_frame, upsert_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import connector_log

LOGGED_COLUMNS = (
    "at", "object", "app_id", "crm_type", "crm_id", "field", "crm_field",
    "old_value", "new_value", "direction", "reason",
)


def append_log(db: Database, tenant_id: str, rows: pd.DataFrame, *, run_id: str | None, batch: str) -> int:
    """Store `rows` (LOGGED_COLUMNS and an optional `detail`; other columns are never copied) for the tenant and run, in one
    transaction; `batch` names the step that applied them (an asset name). Returns the row count."""
    with db.transaction() as conn:
        return insert_log_rows(conn, tenant_id, rows, run_id=run_id, batch=batch)


def insert_log_rows(conn: Connection, tenant_id: str, rows: pd.DataFrame, *, run_id: str | None, batch: str) -> int:
    """`append_log` within the caller's transaction, so changes and their log commit together."""
    missing = [c for c in LOGGED_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"connector log rows for tenant '{tenant_id}' lack the column(s) {', '.join(missing)}")
    if rows.empty:
        return 0
    prefix = f"{run_id or 'run-' + uuid.uuid4().hex}/{batch}/"
    frame = rows[[*LOGGED_COLUMNS, *(["detail"] if "detail" in rows.columns else [])]].reset_index(drop=True)
    frame.insert(0, "id", log_row_ids(prefix, len(frame)))
    frame.insert(0, "tenant_id", tenant_id)
    frame["run_id"] = run_id
    # A run's ids are new unless its step is retried: COPY them straight in, upserting only then.
    return upsert_frame(conn, connector_log, frame, ["tenant_id", "id"], context=f"tenant '{tenant_id}', connector log",
                        likely_new=True)


def log_row_ids(prefix: str, count: int) -> pd.Series:
    """`prefix` then each position 0..count-1 written with at least seven digits, zero-padded
    (`<prefix>0000042`): made in Arrow's C++ kernels, not a Python format call per row."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(count, dtype=np.int64)), pa.string()), width=7, padding="0")
    ids = pc.binary_join_element_wise(pa.scalar(prefix, pa.string()), digits, "")
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([ids]).cast(pa.large_string())), dtype="string")


def read_log(
    db: Database, tenant_id: str, *, record: str | None = None, app_object: str | None = None,
    since: datetime | None = None, limit: int | None = None,
) -> pd.DataFrame:
    """The tenant's log rows, oldest first: those about `record` (an app id or a CRM id; with
    `app_object`, the app record of that object only), at or after `since`; with `limit`, only the
    latest `limit` of them."""
    where = [connector_log.c.tenant_id == tenant_id]
    if app_object is not None:
        where.append(connector_log.c.object == app_object)
    if record is not None and app_object is not None:
        where.append(connector_log.c.app_id == record)
    elif record is not None:
        where.append(or_(connector_log.c.app_id == record, connector_log.c.crm_id == record))
    if since is not None:
        where.append(connector_log.c.at >= since)
    stmt = select(connector_log).where(and_(*where)).order_by(desc(connector_log.c.at), desc(connector_log.c.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    with db.engine.connect() as conn:
        result = conn.execute(stmt)
        frame = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))
    return typed_frame(frame, connector_log).iloc[::-1].reset_index(drop=True)
