"""Opening the database: the one way every part of crm_pipelines gets a SQLAlchemy engine.

SQLite (the embedded default) and PostgreSQL (production) are both first-class. The schema is
brought to the newest migration the first time a process opens a URL, so a user who upgrades the
package keeps their data and gets the new tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from crm_pipelines.paths import database_url


def redact_url(url: str) -> str:
    """The URL with its password hidden, fit for logs and metadata."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Database:
    """An engine plus what the rest of the code needs to know about its backend."""

    engine: Engine
    _migrated: bool = field(default=False, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if engine.dialect.driver == "psycopg":
        _configure_psycopg(engine)
    return engine


def _configure_psycopg(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # The driver parses every JSON value it returns (mapped fields of each extracted record):
        # orjson gives the same values several times faster than the standard library.
        set_json_loads(orjson.loads, dbapi_conn)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and never takes the write lock up front, so
    # two runs writing at once fail with "database is locked" half-way. We take control of BEGIN and
    # make every transaction IMMEDIATE: writers queue on the lock (busy timeout) instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_lock = threading.Lock()
_open: dict[str, Database] = {}


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """The Database for `url` (default: `$CRM_PIPELINES_DB_URL` or the local SQLite file).

    One engine per URL per process; migrations run once per process per URL.
    """
    from crm_pipelines.store.migrate import upgrade_to_head

    url = url or database_url()
    with _lock:
        db = _open.get(url)
        if db is None:
            db = Database(_make_engine(url))
            _open[url] = db
        if migrate and not db._migrated:
            upgrade_to_head(db)
            db._migrated = True
    return db


def close_all() -> None:
    """Dispose every engine this process opened (tests and the CLI call it on exit)."""
    with _lock:
        for db in _open.values():
            db.dispose()
        _open.clear()
