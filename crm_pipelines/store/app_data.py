"""The app's own tables, one tenant at a time, as DataFrames in and out.

A write replaces the tenant's rows of a table in one transaction (several tables at once when
they change together), so the app never shows half a sync. Frames carry no tenant_id: the
tenant is always the caller's argument, and a row of another tenant cannot slip in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, Table, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from crm_pipelines.store.bulk import insert_frame, read_frame, typed_frame
from crm_pipelines.store.copy_reads import copied_column, copied_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.io_manager import TENANT_COLUMN, TenantRowsError
from crm_pipelines.store.key_ranges import KeyRange, ids_in
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


def read_app_table(db: Database, tenant_id: str, name: str, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The tenant's rows of app table `name`, without the tenant column (or only `columns`), in key order."""
    table = app_table(name)
    keys = [c.name for c in table.primary_key.columns]
    columns = list(columns) if columns is not None else [c.name for c in table.columns if c.name != TENANT_COLUMN]
    with db.engine.connect() as conn:
        return read_frame(conn, table, table.c[TENANT_COLUMN] == tenant_id, order_by=keys, columns=columns)


def read_prospects(db: Database, tenant_id: str, *, crm_ids: KeyRange | None = None, without_crm_id: bool = False,
                   prospect_ids: Sequence[str] = (), columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The tenant's prospects (the columns read_app_table gives, or `columns`) whose CRM id is in
    `crm_ids`, or that store none (`without_crm_id`), or whose id is one of `prospect_ids`; each
    once, in key order within each of those reads (not across them)."""
    names = list(columns) if columns is not None else [c.name for c in prospects.columns if c.name != TENANT_COLUMN]
    tenant = prospects.c[TENANT_COLUMN] == tenant_id
    wheres = []
    if crm_ids is not None:
        wheres.append(tenant & crm_ids.holds(prospects.c.crm_id))
    if without_crm_id:
        wheres.append(tenant & prospects.c.crm_id.is_(None))
    wheres += [tenant & within for within in ids_in(prospects.c.prospect_id, list(dict.fromkeys(prospect_ids)))]
    if not wheres:
        return typed_frame(pd.DataFrame(columns=names), prospects)
    with db.engine.connect() as conn:
        parts = [read_frame(conn, prospects, where, order_by=["prospect_id"], columns=names) for where in wheres]
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frame.drop_duplicates("prospect_id", ignore_index=True) if len(parts) > 1 else frame


# Every column of a prospect (the frames read_app_table gives, without the tenant).
PROSPECT_COLUMNS = tuple(c.name for c in prospects.columns if c.name != TENANT_COLUMN)


def read_prospect_hashes(db: Database, tenant_id: str, columns: Sequence[str]) -> pd.DataFrame:
    """`columns` of the tenant's prospects in key order, and `row_hash` (uint64): a hash of each
    whole row (every column but the tenant), equal for equal rows from one run to the next, so a
    caller finds which prospects changed without holding every column of every one (issue 17).
    PostgreSQL hashes each row's text in the database (hashtextextended); elsewhere the rows are
    read and hashed here. A hash that differs where nothing did (a new server's text of a time,
    another backend) only makes a caller compare more."""
    names = list(dict.fromkeys(columns))
    if not db.is_postgres:
        whole = read_app_table(db, tenant_id, "prospects")
        texts = {c: "string" for c, dtype in whole.dtypes.items() if dtype == object}
        hashes = pd.util.hash_pandas_object(whole.astype(texts), index=False).to_numpy(np.uint64)
        return whole[names].assign(row_hash=hashes)
    row = ", ".join(f'"{c}"' for c in PROSPECT_COLUMNS)
    row_hash = literal_column(f"hashtextextended(CAST(ROW({row}) AS text), 0)", BigInteger()).label("row_hash")
    where = prospects.c[TENANT_COLUMN] == tenant_id
    statement = select(*[copied_column(prospects.c[n]) for n in names], row_hash).where(where).order_by(
        prospects.c.prospect_id)
    # One statement (the places and hashes of the same rows), read through COPY: no Python object
    # a value (the driver's tuples took most of this read at a million prospects).
    with db.engine.begin() as conn:
        types = [*(prospects.c[n].type for n in names), BigInteger()]
        read = copied_frame(conn, statement, types, [*names, "row_hash"])
    return read.assign(row_hash=read["row_hash"].to_numpy(np.int64).view(np.uint64))


def write_app_table(db: Database, tenant_id: str, name: str, frame: pd.DataFrame) -> int:
    """Replace the tenant's rows of app table `name` with `frame`, in one transaction."""
    return write_app_tables(db, tenant_id, {name: frame})[name]


def write_app_tables(db: Database, tenant_id: str, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Replace the tenant's rows of several app tables, all in one transaction; rows written per table."""
    with db.transaction() as conn:
        return replace_app_rows(conn, tenant_id, frames)


@dataclass(frozen=True)
class SomeAppRows:
    """Some rows of an app table (one keyed by a single id column), to write in place of the
    stored ones: the rows whose id is in `ids` become `rows` (an id of `ids` that `rows` lacks is
    deleted; every id of `rows` must be in `ids`). The rest of the table is left as it is."""

    rows: pd.DataFrame
    ids: Sequence[str]


def replace_app_rows(conn: Connection, tenant_id: str,
                     frames: Mapping[str, pd.DataFrame | SomeAppRows]) -> dict[str, int]:
    """`write_app_tables` within the caller's transaction (to commit other rows with them); a
    table given as SomeAppRows has only those rows replaced."""
    written: dict[str, int] = {}
    for name, given in frames.items():
        table = app_table(name)
        rows = given.rows if isinstance(given, SomeAppRows) else given
        frame = _for_tenant(rows, tenant_id, name)
        where = table.c[TENANT_COLUMN] == tenant_id
        if isinstance(given, SomeAppRows):
            _delete_ids(conn, table, where, given.ids, frame)
        else:
            conn.execute(table.delete().where(where))
        written[name] = insert_frame(conn, table, frame, context=f"tenant '{tenant_id}', app table '{name}'")
    return written


def _delete_ids(conn: Connection, table: Table, where: ColumnElement[bool], ids: Sequence[str],
                rows: pd.DataFrame) -> None:
    (key,) = [c for c in table.primary_key.columns if c.name != TENANT_COLUMN]
    ids = list(dict.fromkeys(ids))
    if not rows[key.name].isin(ids).all():
        raise ValueError(f"app table '{table.name}': rows to write whose {key.name} is not among the ids replaced")
    for within in ids_in(key, ids):
        conn.execute(table.delete().where(where & within))


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
