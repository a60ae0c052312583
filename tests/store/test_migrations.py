"""Versioned migrations: the schema is created and upgraded in place, keeping data (issue 2, item 3)."""

import subprocess
import sys
from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from crm_pipelines.store import migrate
from crm_pipelines.store.database import close_all, open_database
from crm_pipelines.store.tables import metadata, tenants
from crm_pipelines.store.tenants import TenantRegistry
from crm_pipelines.store.types import UtcDateTime, json_type
from tests.postgres import scratch_database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _fresh(backend: str, tmp_path):
    if backend == "sqlite":
        return open_database(f"sqlite:///{tmp_path / 'm.db'}", migrate=False), None
    ctx = scratch_database("crm_migrate")
    url = ctx.__enter__()
    return open_database(url, migrate=False), ctx


def _is_version_table(diff) -> bool:
    return diff[0] == "remove_table" and diff[1].name == migrate.VERSION_TABLE


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    db, ctx = _fresh(request.param, tmp_path)
    yield db
    if ctx is not None:
        ctx.__exit__(None, None, None)


def test_migrations_create_the_schema_of_tables_py(empty_db):
    migrate.upgrade_to_head(empty_db)
    with empty_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": migrate.VERSION_TABLE})
        diff = [d for d in compare_metadata(context, metadata) if not _is_version_table(d)]
    assert diff == [], f"tables.py and the migrations disagree: {diff}"
    assert migrate.current_revision(empty_db) == migrate.head_revision()


# The registry as the first revision made it: the older revisions the tests start from still have
# the `login_url` column that 0014 removed from tables.py.
_tenants_0001 = sa.table("tenants", *(sa.column(name) for name in (
    "id", "name", "crm_kind", "login_url", "status", "connected_at", "disconnected_at")),
    sa.column("connection", json_type()), sa.column("settings", json_type()),
    sa.column("created_at", UtcDateTime()), sa.column("updated_at", UtcDateTime()))


def _insert_acme(db, settings: dict, connection: dict) -> None:
    row = {
        "id": "acme", "name": "Acme Corp", "crm_kind": "salesforce", "login_url": "https://acme.my.salesforce.com",
        "connection": connection, "settings": settings, "status": "connected", "connected_at": NOW,
        "disconnected_at": None, "created_at": NOW, "updated_at": NOW,
    }
    with db.transaction() as conn:
        # The columns the registry has at the revision the database is at (0014 dropped login_url).
        present = {column["name"] for column in sa.inspect(conn).get_columns("tenants")}
        table = sa.table("tenants", *(sa.column(c.name, c.type) for c in _tenants_0001.columns if c.name in present))
        conn.execute(table.insert(), {name: value for name, value in row.items() if name in present})


@pytest.mark.parametrize("start", migrate.revisions()[:-1] or ["0001"])
def test_upgrading_a_database_that_holds_data_keeps_it(empty_db, start):
    migrate.upgrade(empty_db, start)
    _insert_acme(empty_db, {"sync": {"frequency_minutes": 30}}, {"kind": "salesforce"})
    migrate.upgrade_to_head(empty_db)
    with empty_db.engine.connect() as conn:
        row = conn.execute(tenants.select()).one()
    assert row.id == "acme"
    assert row.settings == {"sync": {"frequency_minutes": 30}}
    assert row.connected_at == NOW
    assert migrate.current_revision(empty_db) == migrate.head_revision()


def test_running_migrations_twice_is_harmless(empty_db):
    migrate.upgrade_to_head(empty_db)
    migrate.upgrade_to_head(empty_db)
    with empty_db.engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {migrate.VERSION_TABLE}")).scalar_one()
    assert count == 1


def test_a_schema_at_head_is_seen_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'at_head.db'}"
    migrate.upgrade_to_head(open_database(url, migrate=False))
    # A fresh process, as `crm-pipelines tenant list` is: this one imported Alembic long ago.
    probe = ("import sys; from crm_pipelines.store.database import open_database; "
             f"from crm_pipelines.store.migrate import is_at_head; db = open_database({url!r}); "
             "print(is_at_head(db), 'alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_an_older_schema_is_upgraded_by_alembic_when_the_database_is_opened(empty_db):
    older = migrate.revisions()[-2]
    migrate.upgrade(empty_db, older)
    assert not migrate.is_at_head(empty_db)
    url = empty_db.engine.url.render_as_string(hide_password=False)
    close_all()
    reopened = open_database(url)
    assert migrate.current_revision(reopened) == migrate.head_revision() == migrate.shipped_head()
    assert migrate.is_at_head(reopened)


def test_a_rebuild_time_stored_in_utc_becomes_the_local_time_of_a_tenant_in_utc(empty_db):
    migrate.upgrade(empty_db, "0012")
    connection = {"kind": "salesforce", "login_url": "https://acme.my.salesforce.com", "api_version": "60.0",
                  "credentials": {"grant": "client_credentials", "client_id_env": "A_ID", "client_secret_env": "A_SECRET"}}
    _insert_acme(empty_db, {"sync": {"frequency_minutes": 30},
                            "auto_save": {"enabled": True, "daily_rebuild_utc": "04:30:00"}}, connection)
    migrate.upgrade(empty_db, "0013")
    with empty_db.engine.connect() as conn:
        stored = conn.execute(tenants.select()).one().settings
    assert stored == {"sync": {"frequency_minutes": 30}, "auto_save": {"enabled": True, "daily_rebuild_at": "04:30:00"}}
    acme = TenantRegistry(empty_db).get("acme")
    assert (acme.settings.time_zone, acme.settings.auto_save.daily_rebuild_at) == ("UTC", time(4, 30))

    TenantRegistry(empty_db).set("acme", {"time_zone": "Europe/Berlin"})
    with pytest.raises(RuntimeError, match="tenant 'acme' is in Europe/Berlin: set its time_zone to UTC"):
        _downgrade(empty_db, "0012")
    TenantRegistry(empty_db).set("acme", {"time_zone": "UTC"})
    _downgrade(empty_db, "0012")
    with empty_db.engine.connect() as conn:
        older = conn.execute(tenants.select()).one().settings
    assert "time_zone" not in older and older["auto_save"] == {"enabled": True, "daily_rebuild_utc": "04:30:00"}


def _downgrade(db, revision: str) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), revision)


def test_the_crm_url_column_goes_and_comes_back_filled_from_the_connection(empty_db):
    migrate.upgrade(empty_db, "0013")
    connection = {"kind": "salesforce", "login_url": "https://acme.my.salesforce.com", "api_version": "60.0",
                  "credentials": {"grant": "client_credentials", "client_id_env": "A_ID", "client_secret_env": "A_SECRET"}}
    _insert_acme(empty_db, {}, connection)
    migrate.upgrade(empty_db, "0014")
    assert "login_url" not in {c["name"] for c in sa.inspect(empty_db.engine).get_columns("tenants")}
    assert TenantRegistry(empty_db).summaries()[0].login_url == "https://acme.my.salesforce.com"

    _downgrade(empty_db, "0013")
    with empty_db.engine.connect() as conn:
        assert conn.execute(sa.select(_tenants_0001.c.login_url)).scalar_one() == "https://acme.my.salesforce.com"
