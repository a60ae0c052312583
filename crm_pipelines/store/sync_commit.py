"""Committing what a field sync applied: the app tables it changed, their connector-log rows and
the three-way base the change moves, in one transaction, so no change is ever applied without its
log row (F8), nor logged unapplied, and the base never runs ahead of the app (F3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import pandas as pd

from crm_pipelines.store.app_data import SomeAppRows, replace_app_rows
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import store_base
from crm_pipelines.store.field_sync_marks import Marks, store_marks


def commit_sync(
    db: Database, tenant_id: str, tables: Mapping[str, pd.DataFrame | SomeAppRows], log_rows: pd.DataFrame, *,
    run_id: str | None, batch: str, base: pd.DataFrame | None = None, at: datetime | None = None,
    marks: Marks | None = None,
) -> int:
    """Replace the tenant's rows of `tables` (app table name → rows, or SomeAppRows: those rows alone), append `log_rows` and store
    the `base` rows (field_sync_base.BASE_COLUMNS, synced at `at`); returns the number of log rows.
    `marks`: what the run compared (field_sync_marks, under `batch`), committed at `at` with the rest."""
    with db.transaction() as conn:
        if marks is not None:
            store_marks(conn, tenant_id, batch, replace(marks, committed_at=at))
        replace_app_rows(conn, tenant_id, tables)
        if base is not None and len(base):
            if at is None:
                raise ValueError("storing base rows needs the time they were synced at")
            store_base(conn, tenant_id, base, at)
        return insert_log_rows(conn, tenant_id, log_rows, run_id=run_id, batch=batch)
