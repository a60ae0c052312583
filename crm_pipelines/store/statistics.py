"""The planner's statistics of tables a step has just filled (issue 17).

A first sync copies hundreds of thousands of rows into the prospects, their base and the
connector log at once; until the tables are analyzed the database plans later reads as if they
were nearly empty. At `medium`, with no statistics (autovacuum off or not caught up yet), PostgreSQL
read the base of 200 prospects by their ids by walking the tenant's 2 M base rows (1.6 s, every
range of every later run); analyzed, it takes their index entries (4 ms). So the step that filled
them analyzes them before it ends, as a bulk load should."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import metadata


def refresh_statistics(db: Database, tables: Sequence[str]) -> None:
    """ANALYZE `tables` (names of crm_pipelines tables), in their own transaction."""
    unknown = [name for name in tables if name not in metadata.tables]
    if unknown:
        raise KeyError(f"no table {', '.join(unknown)} in crm_pipelines.store.tables")
    with db.transaction() as conn:
        if db.is_postgres:
            conn.execute(text(f"ANALYZE {', '.join(tables)}"))
            return
        for name in tables:
            conn.execute(text(f"ANALYZE {name}"))
