"""A store brought to a state once for a test module, copied for each test that starts from it.

A first sync of the small org is most of what a test of the runs after it costs; tests that only
need its outcome share one per module (made on PostgreSQL), each test on its own copy: for
PostgreSQL a database made from it as a template, for SQLite its rows written into a new file (or
SQLite's backup of a SQLite store). The simulator such a module serves must then be module-scoped
too, so the copy's cursors and ids are the org's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import JSON, Integer, MetaData, Table, select, text
from sqlalchemy.dialects.postgresql import JSONB

from crm_pipelines.paths import DATA_DIR_ENV
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.tables import metadata, tenants
from tests.postgres import scratch_database

BACKENDS = ("sqlite", "postgres")


@contextmanager
def prepared_store(tmp_path_factory, prepare: Callable[[Database], None]) -> Iterator[Database]:
    """A new PostgreSQL store that `prepare` brings to its state (a tenant registered, the app
    seeded, a first sync), for a module fixture; the data folder meanwhile is a scratch one."""
    with scratch_database("prepared") as url:
        db = open_database(url)
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path_factory.mktemp("prepared-data")))
            monkeypatch.delenv("CRM_PIPELINES_DB_URL", raising=False)
            prepare(db)
        yield db


def sqlite_backup(source: Database | Path, path: Path) -> Database:
    """A copy at `path` of a SQLite store (SQLite's backup, which takes the write-ahead log too)."""
    source_path = source if isinstance(source, Path) else Path(source.engine.url.database)
    reader, writer = sqlite3.connect(source_path), sqlite3.connect(path)
    try:
        reader.backup(writer)
    finally:
        reader.close()
        writer.close()
    return open_database(f"sqlite:///{path}")


@contextmanager
def store_copy(source: Database, backend: str, path: Path) -> Iterator[Database]:
    """A copy of `source` on `backend` ("sqlite": a file at `path`; "postgres"/"postgresql": a
    scratch database, dropped when the block ends)."""
    if backend == "sqlite":
        if source.dialect == "sqlite":
            yield sqlite_backup(source, path)
            return
        target = open_database(f"sqlite:///{path}")
        copy_rows(source, target)
        yield target
        return
    if not source.is_postgres:
        raise ValueError("a PostgreSQL copy is made from a PostgreSQL store, as its template")
    source.dispose()
    with scratch_database("copied", template=source.engine.url.database) as url:
        yield open_database(url)


def copy_rows(source: Database, target: Database) -> None:
    """Every row of every table of `source` into `target`, a migrated store with no rows."""
    with source.engine.connect() as reader, target.transaction() as writer:
        for table in metadata.sorted_tables:
            rows = [dict(row._mapping) for row in reader.execute(select(table))]
            if rows:
                writer.execute(_nulls_kept(table).insert(), rows)
        if target.is_postgres:
            _sequences_past_copied_ids(writer)


def _sequences_past_copied_ids(conn) -> None:
    # Rows copied with their ids leave PostgreSQL's sequences where they were: the next insert
    # would take an id a copied row holds.
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                  f"(SELECT COALESCE(MAX({column.name}), 0) + 1 FROM {table.name}), false)"))


def _nulls_kept(table: Table) -> Table:
    """`table` with its JSON columns writing None as SQL NULL (what was read), not JSON null."""
    copy = table.to_metadata(MetaData())
    for column in copy.columns:
        if isinstance(column.type, JSON):
            column.type = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return copy


def copied_db(source: str):
    """A module's `db` fixture: the store module fixture `source` gives, copied for each test on
    SQLite and on PostgreSQL (the same ids and marks as the suite's own `db` fixture)."""

    @pytest.fixture(params=BACKENDS)
    def db(request, tmp_path) -> Iterator[Database]:
        prepared = request.getfixturevalue(source)
        if request.param == "postgres":
            request.applymarker(pytest.mark.postgres)
        with store_copy(prepared, request.param, tmp_path / "copy.db") as copy:
            yield copy

    return db


def first_sync_copy(tmp_path_factory, name: str, sim, db: Database, prepare: Callable[[Database], None]) -> Database:
    """`db` (a new store on either backend) as `prepare` leaves it against `sim` (tenants
    registered, the app seeded, a first sync). The first test of a worker process to ask for `name`
    runs `prepare` and keeps a copy of the result; the later ones get that copy's rows, with every
    tenant pointed at their own simulator. For tests whose simulators are generated alike (the same
    orgs, scale and seed, on the fixed clock), so the copied cursors and ids are their org's, and
    that need nothing of the simulator's own memory of that sync (its API call count, sessions)."""
    path = tmp_path_factory.getbasetemp() / "first-syncs" / f"{name}.db"
    if not path.exists():
        prepare(db)
        path.parent.mkdir(exist_ok=True)
        template = open_database(f"sqlite:///{path}")
        copy_rows(db, template)
        template.dispose()
        return db
    copy_rows(open_database(f"sqlite:///{path}"), db)
    with db.transaction() as conn:
        for tenant_id, connection in conn.execute(select(tenants.c.id, tenants.c.connection)).all():
            conn.execute(tenants.update().where(tenants.c.id == tenant_id)
                         .values(connection={**connection, "login_url": sim.base_url}))
    return db
