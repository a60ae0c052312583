"""Versioned schema migrations (Alembic), applied in-process.

The migration scripts ship inside the package, so `pip install` of a newer version plus the next
run upgrades the database in place. Concurrent runs may open the database at the same moment: on
PostgreSQL an advisory lock, on SQLite the immediate write lock, lets exactly one of them migrate.

Importing Alembic costs a third of a second, more than a quick command's whole work (`tenant
list`), so a process first reads the stored revision with one plain query and compares it with the
head named in the shipped scripts; Alembic is imported only when there is something to upgrade.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

    from crm_pipelines.store.database import Database

# Our own version table: the Dagster instance (dagster-postgres) keeps an `alembic_version` table
# of its own and may share the database.
VERSION_TABLE = "crm_pipelines_schema_version"
_MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_LOCK_KEY = 0x63726D5F70697065  # "crm_pipe"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`, keeping every row already stored."""
    from alembic import command

    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w]+|None)['\"]?\s*$", re.MULTILINE)


@functools.cache
def shipped_head() -> str | None:
    """The head revision read from the shipped scripts' `revision` and `down_revision` lines,
    without Alembic; None when the scripts are not a single plain chain (Alembic decides then)."""
    revisions, parents = set(), set()
    for script in (_MIGRATIONS / "versions").glob("[0-9]*.py"):
        found = dict((key, value) for key, value in _REVISION_LINE.findall(script.read_text()))
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(db: Database) -> str | None:
    """The revision the database says it is at (one plain query), None before the first migration."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        versions = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    return versions[0] if len(versions) == 1 else None


def is_at_head(db: Database) -> bool:
    head = shipped_head()
    return head is not None and stored_revision(db) == head


def upgrade_to_head(db: Database) -> None:
    """Bring the schema to the newest revision; a database already there costs two small queries."""
    if is_at_head(db):
        return
    upgrade(db, "head")
