"""Versioned schema migrations (Alembic), applied in-process.

The migration scripts ship inside the package, so `pip install` of a newer version plus the next
run upgrades the database in place. Concurrent runs may open the database at the same moment: on
PostgreSQL an advisory lock, on SQLite the immediate write lock, lets exactly one of them migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

if TYPE_CHECKING:
    from crm_pipelines.store.database import Database

# Our own version table: the Dagster instance (dagster-postgres) keeps an `alembic_version` table
# of its own and may share the database.
VERSION_TABLE = "crm_pipelines_schema_version"
_MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_LOCK_KEY = 0x63726D5F70697065  # "crm_pipe"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`, keeping every row already stored."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


def upgrade_to_head(db: Database) -> None:
    upgrade(db, "head")
