"""The app's own tables, one tenant at a time, as DataFrames in and out.

A write replaces the tenant's rows of a table in one transaction (several tables at once when
they change together), so the app never shows half a sync. Frames carry no tenant_id: the
tenant is always the caller's argument, and a row of another tenant cannot slip in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Table, select

from crm_pipelines.store.bulk import insert_frame, read_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.io_manager import TENANT_COLUMN, TenantRowsError
from crm_pipelines.store.tables import (
    activity_events,
    app_campaigns,
    app_field_labels,
    app_opportunities,
    app_users,
    auto_save_rule_selections,
    cadence_memberships,
    cadence_touches,
    cadences,
    companies,
    manual_list_overrides,
    match_overrides,
    opportunity_stages,
    prospects,
    push_requests,
    saved_item_totals,
    todos,
)
from crm_pipelines.store.upsert import upsert_statement

APP_TABLES: Mapping[str, Table] = {
    table.name: table
    for table in (
        app_users, prospects, companies, app_campaigns, opportunity_stages, app_opportunities,
        activity_events, cadences, cadence_memberships, cadence_touches, match_overrides,
        manual_list_overrides, auto_save_rule_selections, push_requests, todos, app_field_labels,
        # Written by the list rebuild, read by the app: each user's total saved items (L12).
        saved_item_totals,
    )
}

MatchEntity = Literal["user", "prospect", "company"]

# Where the app record of each match-override entity lives, for checking it exists.
_ENTITY_RECORDS: Mapping[str, tuple[Table, str]] = {
    "user": (app_users, "user_id"),
    "prospect": (prospects, "prospect_id"),
    "company": (companies, "company_id"),
}


class UnknownAppTableError(KeyError):
    """A name that is not one of the app's tables."""


def app_table(name: str) -> Table:
    table = APP_TABLES.get(name)
    if table is None:
        raise UnknownAppTableError(f"'{name}' is not an app table; the app tables are {', '.join(APP_TABLES)}")
    return table


def read_app_table(db: Database, tenant_id: str, name: str) -> pd.DataFrame:
    """The tenant's rows of app table `name`, without the tenant column, in key order."""
    table = app_table(name)
    keys = [c.name for c in table.primary_key.columns]
    columns = [c.name for c in table.columns if c.name != TENANT_COLUMN]
    with db.engine.connect() as conn:
        return read_frame(conn, table, table.c[TENANT_COLUMN] == tenant_id, order_by=keys, columns=columns)


def write_app_table(db: Database, tenant_id: str, name: str, frame: pd.DataFrame) -> int:
    """Replace the tenant's rows of app table `name` with `frame`, in one transaction."""
    return write_app_tables(db, tenant_id, {name: frame})[name]


def write_app_tables(db: Database, tenant_id: str, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Replace the tenant's rows of several app tables, all in one transaction; rows written per table."""
    with db.transaction() as conn:
        return replace_app_rows(conn, tenant_id, frames)


def replace_app_rows(conn: Connection, tenant_id: str, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """`write_app_tables` within the caller's transaction (to commit other rows with them)."""
    checked = {name: (app_table(name), _for_tenant(frame, tenant_id, name)) for name, frame in frames.items()}
    written: dict[str, int] = {}
    for name, (table, frame) in checked.items():
        conn.execute(table.delete().where(table.c[TENANT_COLUMN] == tenant_id))
        written[name] = insert_frame(conn, table, frame, context=f"tenant '{tenant_id}', app table '{name}'")
    return written


def app_record_exists(db: Database, tenant_id: str, entity: MatchEntity, app_id: str) -> bool:
    """Whether the tenant's app has the user, prospect or company `app_id`."""
    table, id_column = _ENTITY_RECORDS[entity]
    with db.engine.connect() as conn:
        found = conn.execute(
            select(table.c[id_column]).where(table.c[TENANT_COLUMN] == tenant_id, table.c[id_column] == app_id)
        ).first()
    return found is not None


def confirm_match(db: Database, tenant_id: str, entity: MatchEntity, app_id: str, crm_id: str,
                  confirmed_at: datetime) -> None:
    """Store a manual match (X3); a later confirmation of the same app record replaces it."""
    with db.transaction() as conn:
        conn.execute(
            upsert_statement(conn, match_overrides, [TENANT_COLUMN, "entity", "app_id"]),
            {TENANT_COLUMN: tenant_id, "entity": entity, "app_id": app_id, "crm_id": crm_id,
             "confirmed_at": confirmed_at},
        )


def _for_tenant(frame: pd.DataFrame, tenant_id: str, name: str) -> pd.DataFrame:
    if TENANT_COLUMN in frame.columns:
        others = sorted(map(str, frame.loc[frame[TENANT_COLUMN].astype("string") != tenant_id, TENANT_COLUMN].unique()))
        if others:
            raise TenantRowsError(
                f"refusing to write app table '{name}' for tenant '{tenant_id}': the frame holds rows of tenants {others}")
    return frame.assign(**{TENANT_COLUMN: tenant_id})
