"""The base of the three-way field sync (F3): the value each two-way field of a linked pair last
had on both sides, one row per (object, app record, CRM record, field)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from crm_pipelines.store.bulk import read_frame, upsert_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.key_ranges import KeyRange
from crm_pipelines.store.tables import field_sync_base

BASE_KEYS = ("tenant_id", "object", "app_id", "crm_id", "field")
BASE_COLUMNS = ("object", "app_id", "crm_id", "field", "value")


def read_base(db: Database, tenant_id: str, object: str | None = None, *,
              crm_ids: KeyRange | None = None) -> pd.DataFrame:
    """The tenant's base rows (BASE_COLUMNS and synced_at), of one app object or all; with
    `crm_ids`, only the rows of CRM records in that key range."""
    where = field_sync_base.c.tenant_id == tenant_id
    if object is not None:
        where = where & (field_sync_base.c.object == object)
    if crm_ids is not None:
        where = where & crm_ids.holds(field_sync_base.c.crm_id)
    with db.engine.connect() as conn:
        return read_frame(conn, field_sync_base, where, order_by=list(BASE_KEYS[1:]), columns=[*BASE_COLUMNS, "synced_at"])


def store_base(conn: Connection, tenant_id: str, rows: pd.DataFrame, at: datetime, *, new_records: bool = False) -> int:
    """Upsert `rows` (BASE_COLUMNS) as the tenant's base, within the caller's transaction, so the
    base moves only together with the change that made both sides agree. `new_records`: the rows
    are of records just created (no base yet), so they are copied straight in, upserted only if
    some exist after all."""
    if rows.empty:
        return 0
    frame = rows.loc[:, list(BASE_COLUMNS)].drop_duplicates(list(BASE_KEYS[1:]), keep="last")
    frame = frame.assign(tenant_id=tenant_id, synced_at=pd.Timestamp(at))
    return upsert_frame(conn, field_sync_base, frame, list(BASE_KEYS), context=f"tenant '{tenant_id}', field sync base",
                        likely_new=new_records)
