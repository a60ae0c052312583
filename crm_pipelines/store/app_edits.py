"""A person's edit of one app record, as the app makes it: the fields, updated_at, and each
field's own change time (F3 compares a field changed on both sides by when each side changed it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select, update

from crm_pipelines.store.app_data import app_table
from crm_pipelines.store.database import Database
from crm_pipelines.store.io_manager import TENANT_COLUMN

# The app tables whose records take two-way field edits, and their id column.
EDITABLE = {"prospects": "prospect_id", "app_campaigns": "campaign_id"}
_NOT_EDITABLE = ("tenant_id", "updated_at", "created_at", "field_changed_at")


class AppEditError(ValueError):
    """An edit naming an unknown table, record or field."""


def edit_app_record(db: Database, tenant_id: str, table_name: str, app_id: str, values: Mapping[str, Any],
                    at: datetime) -> None:
    """Set `values` on one app record as edited at `at` (time-zone aware): updated_at becomes `at`
    and field_changed_at[field] = `at` for each field edited."""
    if table_name not in EDITABLE:
        raise AppEditError(f"'{table_name}' takes no field edits; editable tables: {', '.join(EDITABLE)}")
    if at.tzinfo is None:
        raise AppEditError("an edit's time must carry a time zone")
    table, id_column = app_table(table_name), EDITABLE[table_name]
    unknown = sorted(set(values) - set(table.c.keys()))
    fixed = sorted(set(values) & {*_NOT_EDITABLE, id_column})
    if unknown or fixed:
        raise AppEditError(f"{table_name} has no editable field(s) {', '.join(unknown + fixed)}")
    where = (table.c[TENANT_COLUMN] == tenant_id) & (table.c[id_column] == app_id)
    stamp = pd.Timestamp(at).tz_convert("UTC").isoformat()
    with db.transaction() as conn:
        found = conn.execute(select(table.c.field_changed_at).where(where)).first()
        if found is None:
            raise AppEditError(f"tenant '{tenant_id}' has no {table_name} record '{app_id}'")
        times = {**(found[0] or {}), **dict.fromkeys(values, stamp)}
        conn.execute(update(table).where(where).values(**values, updated_at=at, field_changed_at=times))
