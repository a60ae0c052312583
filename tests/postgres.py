"""Real PostgreSQL for the tests: a throwaway database per test session on 127.0.0.1:5432.

Under CI=true an unreachable server fails the tests that need it; elsewhere they are skipped with
the reason, so a laptop without PostgreSQL can still run the rest.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

PG_ADMIN_DSN = os.environ.get("CRM_PIPELINES_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def _admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)


def require_postgres() -> None:
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_DSN}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@contextmanager
def scratch_database(prefix: str = "crm_test", *, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database, empty or (given `template`, a database's name) a copy of that one;
    yields its SQLAlchemy URL and drops it afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        if template is None:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            # A template must have no other session: end any the tests left idle.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (template,))
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    params = dict(item.split("=", 1) for item in PG_ADMIN_DSN.split())
    url = f"postgresql+psycopg://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{name}"
    try:
        yield url
    finally:
        from crm_pipelines.store.database import close_all

        close_all()
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
