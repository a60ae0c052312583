"""Committing what a field sync applied: the app tables it changed and their connector-log rows
in one transaction, so no change is ever applied without its log row (F8), nor logged unapplied."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crm_pipelines.store.app_data import replace_app_rows
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.database import Database


def commit_sync(
    db: Database, tenant_id: str, tables: Mapping[str, pd.DataFrame], log_rows: pd.DataFrame, *,
    run_id: str | None, batch: str,
) -> int:
    """Replace the tenant's rows of `tables` (app table name → rows) and append `log_rows`; returns
    the number of log rows."""
    with db.transaction() as conn:
        replace_app_rows(conn, tenant_id, tables)
        return insert_log_rows(conn, tenant_id, log_rows, run_id=run_id, batch=batch)
