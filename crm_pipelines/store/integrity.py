"""Counts that tell whether one tenant's rows can be trusted: the queries behind the asset checks.

Each takes a table by name (one of store.tables) and one tenant, and counts offending rows of that
tenant only; another tenant's rows are read just to find ids shared across tenants.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, and_, exists, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from crm_pipelines.store import tables
from crm_pipelines.store.database import Database


def _table(name: str) -> Table:
    return tables.metadata.tables[name]


def _count(db: Database, statement) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(statement).scalar_one())


def duplicated_ids(db: Database, table: str, tenant_id: str) -> int:
    """How many ids appear more than once among the tenant's rows."""
    t = _table(table)
    repeated = select(t.c.id).where(t.c.tenant_id == tenant_id).group_by(t.c.id).having(func.count() > 1).subquery()
    return _count(db, select(func.count()).select_from(repeated))


def ids_held_by_other_tenants(db: Database, table: str, tenant_id: str, column: str = "id") -> int:
    """How many of the tenant's rows carry an id (in `column`) that another tenant's row carries too:
    one org serves one tenant, so a shared CRM id means rows crossed tenants."""
    t = _table(table)
    # The other tenants' ids are read once (an uncorrelated IN, hashed or indexed by the database),
    # not looked up per row: no index leads with the id, so a correlated EXISTS scanned the whole
    # table for every row of the tenant.
    other = t.alias("other")
    others = select(other.c[column]).where(other.c.tenant_id != tenant_id, other.c[column].is_not(None))
    return _count(db, select(func.count()).select_from(t).where(
        t.c.tenant_id == tenant_id, t.c[column].is_not(None), t.c[column].in_(others)))


def _extracted(object_table: str, tenant_id: str, crm_id: ColumnElement) -> ColumnElement:
    target = _table(object_table)
    return exists().where(target.c.tenant_id == tenant_id, target.c.id == crm_id)


def dangling_references(db: Database, table: str, tenant_id: str, column: str, targets: Sequence[str]) -> int:
    """How many of the tenant's rows name, in `column`, a CRM id that is in none of the `targets`
    tables for the same tenant (a reference to a record never extracted)."""
    t = _table(table)
    known = or_(*[_extracted(target, tenant_id, t.c[column]) for target in targets])
    return _count(db, select(func.count()).select_from(t).where(
        and_(t.c.tenant_id == tenant_id, t.c[column].is_not(None), not_(known))))


def largest_list(db: Database, table: str, tenant_id: str) -> int:
    """The most items any one user of the tenant has on the list table (0 when none)."""
    t = _table(table)
    sizes = select(func.count().label("n")).where(t.c.tenant_id == tenant_id).group_by(t.c.user_id).subquery()
    return _count(db, select(func.coalesce(func.max(sizes.c.n), 0)))


def pending_pushes(db: Database, tenant_id: str) -> tuple[int, bool]:
    """Push records of the tenant still pending, and whether an outbound push is deferred now."""
    results, deferrals = tables.crm_push_results, tables.deferrals
    pending = _count(db, select(func.count()).select_from(results).where(
        results.c.tenant_id == tenant_id, results.c.state == "pending"))
    deferred = _count(db, select(func.count()).select_from(deferrals).where(
        deferrals.c.tenant_id == tenant_id, deferrals.c.job == "outbound_push", deferrals.c.resolved_at.is_(None)))
    return pending, deferred > 0
