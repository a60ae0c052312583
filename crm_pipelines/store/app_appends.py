"""Appending new rows to an app table, with their connector-log rows and base, in one transaction:
a chunk of the prospects a first connection creates (F4.1), so that no chunk is ever applied
without its log rows (F8) and the base never runs ahead of the app (F3). A run that dies between
chunks leaves whole chunks only; the next run finds those prospects holding their records and
creates the rest."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from crm_pipelines.store.app_data import app_table
from crm_pipelines.store.bulk import insert_frame
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import store_base
from crm_pipelines.store.io_manager import TENANT_COLUMN


def append_app_rows(db: Database, tenant_id: str, name: str, rows: pd.DataFrame, log_rows: pd.DataFrame, *,
                    run_id: str | None, batch: str, base: pd.DataFrame, at: datetime) -> int:
    """Insert `rows` (new records only) into the tenant's app table `name`, append `log_rows` and
    store the `base` rows; returns the number of log rows."""
    with db.transaction() as conn:
        insert_frame(conn, app_table(name), rows.assign(**{TENANT_COLUMN: tenant_id}),
                     context=f"tenant '{tenant_id}', app table '{name}'")
        if len(base):
            store_base(conn, tenant_id, base, at, new_records=True)
        return insert_log_rows(conn, tenant_id, log_rows, run_id=run_id, batch=batch)
