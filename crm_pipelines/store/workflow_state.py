"""What the cadence workflows keep between syncs (W3): each tenant's evaluation cursor and every
action applied, and committing one evaluation: memberships, applied actions, connector-log rows and
the cursor in one transaction, so an action is never applied without being remembered and logged."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select

from crm_pipelines.store.app_data import replace_app_rows
from crm_pipelines.store.bulk import read_frame, upsert_frame
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import workflow_actions_applied, workflow_cursors
from crm_pipelines.store.upsert import upsert_statement


def read_workflow_cursor(db: Database, tenant_id: str) -> datetime | None:
    """The SystemModstamp the tenant's changes have been evaluated through; None before the first."""
    with db.engine.connect() as conn:
        return conn.execute(select(workflow_cursors.c.evaluated_through)
                            .where(workflow_cursors.c.tenant_id == tenant_id)).scalar()


def read_applied_actions(db: Database, tenant_id: str) -> pd.DataFrame:
    """Every action applied for the tenant: membership_id, change_key, workflow, prospect_id, action."""
    with db.engine.connect() as conn:
        frame = read_frame(conn, workflow_actions_applied, workflow_actions_applied.c.tenant_id == tenant_id)
    return frame.drop(columns=["tenant_id"])


def commit_workflow_run(db: Database, tenant_id: str, *, memberships: pd.DataFrame | None,
                        applied: pd.DataFrame | None, log_rows: pd.DataFrame | None, evaluated_through: datetime | None, at: datetime,
                        run_id: str | None, batch: str) -> None:
    """One evaluation's results together: the tenant's memberships, the applied actions
    (membership_id, change_key, workflow, prospect_id, action), their log rows (None: none), the cursor."""
    with db.transaction() as conn:
        if memberships is not None:
            replace_app_rows(conn, tenant_id, {"cadence_memberships": memberships})
        if applied is not None and len(applied):
            rows = applied.assign(tenant_id=tenant_id, applied_at=at, run_id=run_id)
            upsert_frame(conn, workflow_actions_applied, rows,
                         ["tenant_id", "membership_id", "change_key", "workflow"], context=f"tenant '{tenant_id}'")
        if log_rows is not None:
            insert_log_rows(conn, tenant_id, log_rows, run_id=run_id, batch=batch)
        if evaluated_through is not None:
            conn.execute(upsert_statement(conn, workflow_cursors, ["tenant_id"]),
                         {"tenant_id": tenant_id, "evaluated_through": evaluated_through, "updated_at": at})
