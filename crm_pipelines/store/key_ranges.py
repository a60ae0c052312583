"""Reads of a key range of CRM ids (issue 17): the prospect sync takes a large org's records a
range at a time instead of every column of every Lead and Contact at once.

A range is bounded by the first and the last id of a run of records as the database orders them
(a table read in key order, cut into pieces), and compared by the database too, so a range read
gives exactly that run whatever the database's collation: no id is ever compared in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Connection

from crm_pipelines.store.bulk import read_frame, typed_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import metadata

TENANT_COLUMN = "tenant_id"


@dataclass(frozen=True)
class KeyRange:
    """The ids from `first` to `last`, both included, in the database's order."""

    first: str
    last: str

    def holds(self, column: ColumnElement) -> ColumnElement[bool]:
        return (column >= self.first) & (column <= self.last)

    @classmethod
    def spanning(cls, ids: pd.Series, start: int, stop: int) -> KeyRange:
        """The range of ids[start:stop] (a run of ids in the database's key order)."""
        return cls(str(ids.iat[start]), str(ids.iat[stop - 1]))


def read_crm_range(db: Database, table_name: str, tenant_id: str, ids: KeyRange | None, *,
                   columns: list[str] | None = None) -> pd.DataFrame:
    """Every column (or `columns`) of the tenant's records of CRM table `table_name` (crm_leads,
    crm_contacts) whose id is in `ids` (None: all), in key order: what the tenant IO manager gives."""
    with db.engine.connect() as conn:
        return read_key_range(conn, table_name, tenant_id, "id", ids, columns=columns)


def read_key_range(conn: Connection, table_name: str, tenant_id: str, column: str, ids: KeyRange | None, *,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every column (or `columns`) of the tenant's rows of `table_name` whose `column` is in `ids`
    (None: every row), in key order, read within the caller's connection (and transaction)."""
    table = metadata.tables[table_name]
    where = table.c[TENANT_COLUMN] == tenant_id
    if ids is not None:
        where = where & ids.holds(table.c[column])
    return read_frame(conn, table, where, order_by=[c.name for c in table.primary_key.columns], columns=columns)


def no_crm_rows(table_name: str) -> pd.DataFrame:
    """CRM table `table_name` with no rows, typed as a read gives it: a range of the other type."""
    table = metadata.tables[table_name]
    return typed_frame(pd.DataFrame(columns=[c.name for c in table.columns]), table)


# Ids per statement of a read of records by id: within every database's limit of bound values.
IDS_PER_READ = 5_000


def ids_in(column: ColumnElement[str], ids: Sequence[str]) -> list[ColumnElement[bool]]:
    """`column IN ids`, as one condition per IDS_PER_READ ids (none for no ids): a read by id runs
    one statement per condition."""
    return [column.in_(ids[at:at + IDS_PER_READ]) for at in range(0, len(ids), IDS_PER_READ)]


def read_crm_ids(db: Database, table_name: str, tenant_id: str, ids: list[str]) -> pd.DataFrame:
    """Every column of the tenant's records of `table_name` with these `ids` (given in key order,
    as a key order read gives them), in that order: each few thousand read in key order."""
    table = metadata.tables[table_name]
    tenant = table.c[TENANT_COLUMN] == tenant_id
    order = [c.name for c in table.primary_key.columns]
    with db.engine.connect() as conn:
        parts = [read_frame(conn, table, tenant & within, order_by=order) for within in ids_in(table.c.id, ids)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else no_crm_rows(table_name))
