"""INSERT ... ON CONFLICT for both backends, the one way rows are upserted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert_statement(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    update: Callable[[Any], dict[str, Any]] | None = None,
):
    """An insert into `table` that updates on a conflict over `keys`.

    `update(excluded)` returns the columns to set from the proposed row (`excluded`); by default
    every non-key column takes the new value.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    if update is None:
        values = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    else:
        values = update(stmt.excluded)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=values)
