"""The base of the three-way field sync (F3): the value each two-way field of a linked pair last
had on both sides, one row per (object, app record, CRM record, field)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, false

from crm_pipelines.store.bulk import read_frame, upsert_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.key_ranges import KeyRange, ids_in
from crm_pipelines.store.tables import field_sync_base

BASE_KEYS = ("tenant_id", "object", "app_id", "crm_id", "field")
BASE_COLUMNS = ("object", "app_id", "crm_id", "field", "value")



def read_base(db: Database, tenant_id: str, object: str | None = None, *,
              crm_ids: KeyRange | None = None, app_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The tenant's base rows (BASE_COLUMNS and synced_at), of one app object or all; with
    `crm_ids`, only the rows of CRM records in that key range; with `app_ids`, only those of
    these app records (in key order within each few thousand of them)."""
    where = field_sync_base.c.tenant_id == tenant_id
    if object is not None:
        where = where & (field_sync_base.c.object == object)
    if crm_ids is not None:
        where = where & crm_ids.holds(field_sync_base.c.crm_id)
    wheres = [where]
    if app_ids is not None:
        wheres = [where & within for within in ids_in(field_sync_base.c.app_id, list(dict.fromkeys(app_ids)))] \
            or [where & false()]
    columns, order = [*BASE_COLUMNS, "synced_at"], list(BASE_KEYS[1:])
    with db.engine.connect() as conn:
        parts = [read_frame(conn, field_sync_base, w, order_by=order, columns=columns) for w in wheres]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


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
