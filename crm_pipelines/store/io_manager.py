"""The IO manager that keeps tenant-partitioned DataFrames in the crm_pipelines database.

Each asset's output lands in the table of the same name (declared in `store.tables`, created by a
migration). Writing a tenant's partition deletes that tenant's rows and inserts the new ones in one
transaction, so readers see the old partition or the new one, never half of each, and other
tenants' rows are not touched. Reading returns exactly the requested tenant's rows.

Assets that write their own rows transactionally (extraction commits rows and cursor together)
return nothing; this IO manager then only reads their table for downstream assets.

An asset rebuilt whole each run whose rows mostly stay the same says so in its metadata,
`@asset(metadata={WRITE_CHANGED_ROWS: True})`: its partition is then replaced by writing only the
rows that differ from the stored ones (store.changed_rows), with the same result for readers.

An input that needs a few columns of a wide table says which in its metadata,
`AssetIn(metadata={READ_COLUMNS: [...]})`: only the table's columns among those are read (one list
can serve Leads and Contacts, which differ). An input that needs some of the rows says which in
`READ_ROWS`: `{"equal": {column: [values]}, "not_null": [columns]}` reads only the rows whose
columns hold one of those values and are not null (the table's other rows are never fetched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext
from pydantic import Field
from sqlalchemy import Table

from crm_pipelines.store.bulk import insert_frame, read_frame
from crm_pipelines.store.changed_rows import write_changed_rows
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.partition_rows import row_count
from crm_pipelines.store.tables import metadata

TENANT_COLUMN = "tenant_id"
READ_COLUMNS = "read_columns"
READ_ROWS = "read_rows"
WRITE_CHANGED_ROWS = "write_changed_rows"


class TenantRowsError(ValueError):
    """A frame that carries rows of a tenant other than the partition being written."""


class TenantTableIOManager(ConfigurableIOManager):
    """Stores each tenant partition of an asset in the table named after the asset."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the crm_pipelines database; default $CRM_PIPELINES_DB_URL or the local SQLite file.",
    )

    def _db(self) -> Database:
        return open_database(self.database_url)

    def handle_output(self, context: OutputContext, obj: pd.DataFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"asset {context.asset_key.to_user_string()} returned {type(obj).__name__}, expected a DataFrame")
        tenant = _tenant_of(context)
        table = table_for(context)
        db = self._db()
        changed_only = bool((context.definition_metadata or {}).get(WRITE_CHANGED_ROWS))
        written = write_tenant_partition(db, table, tenant, obj, changed_only=changed_only)
        extra = {"rows_written": written} if changed_only else {}
        context.add_output_metadata({"rows": len(obj), "table": table.name, **extra, **row_count(db, table.name, tenant)})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        assert upstream is not None
        table = table_for(upstream)
        tenant = _tenant_of(context)
        wanted = (context.definition_metadata or {}).get(READ_COLUMNS)
        rows = (context.definition_metadata or {}).get(READ_ROWS)
        return read_tenant_partition(self._db(), table, tenant, columns=wanted, rows=rows)


def write_tenant_partition(db: Database, table: Table, tenant: str, df: pd.DataFrame, *,
                           changed_only: bool = False) -> int:
    """Replace `tenant`'s rows of `table` with `df`, in one transaction; the rows written.
    `changed_only`: write only the rows that differ from the stored ones (store.changed_rows)."""
    if TENANT_COLUMN in df.columns:
        others = df.loc[df[TENANT_COLUMN].astype("string") != tenant, TENANT_COLUMN].unique().tolist()
        if others:
            raise TenantRowsError(
                f"refusing to write table '{table.name}' for tenant '{tenant}': the frame holds rows of tenants {sorted(map(str, others))}"
            )
    frame = df.assign(**{TENANT_COLUMN: tenant})
    context = f"tenant '{tenant}', table '{table.name}'"
    with db.transaction() as conn:
        if changed_only:
            return write_changed_rows(conn, table, tenant, frame, context=context)["written"]
        conn.execute(table.delete().where(table.c[TENANT_COLUMN] == tenant))
        return insert_frame(conn, table, frame, context=context)


def read_tenant_partition(db: Database, table: Table, tenant: str, *, columns: Sequence[str] | None = None,
                          rows: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The tenant's rows in key order; with `columns`, only the table's columns among them; with
    `rows` (READ_ROWS), only the rows it picks."""
    names = None if columns is None else [c.name for c in table.columns if c.name in set(columns)]
    where = table.c[TENANT_COLUMN] == tenant
    for column, values in ((rows or {}).get("equal") or {}).items():
        where = where & table.c[column].in_(list(values))
    for column in (rows or {}).get("not_null") or ():
        where = where & table.c[column].is_not(None)
    with db.engine.connect() as conn:
        key_order = [c.name for c in table.primary_key.columns]
        return read_frame(conn, table, where, order_by=key_order, columns=names)


def table_for(context: OutputContext | InputContext) -> Table:
    name = context.asset_key.path[-1]
    table = metadata.tables.get(name)
    if table is None:
        raise KeyError(
            f"asset '{context.asset_key.to_user_string()}' has no table '{name}' in crm_pipelines.store.tables; "
            "declare it there and add a migration"
        )
    if TENANT_COLUMN not in table.c:
        raise KeyError(f"table '{name}' has no '{TENANT_COLUMN}' column, so it cannot hold tenant partitions")
    return table


def _tenant_of(context: OutputContext | InputContext) -> str:
    if not context.has_asset_partitions:
        raise ValueError(f"asset '{context.asset_key.to_user_string()}' is not tenant-partitioned")
    return context.asset_partition_key
