"""Where each tenant's sync chain stands (S1, O4): what its extraction finished and left deferred,
and its last completed chain, read for one tenant by the chain's own steps and for every tenant at
once by the sensors and schedules (one query each, however many tenants)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from crm_pipelines.core.sync_chain import ChainState, DeferredExtraction
from crm_pipelines.store.database import Database
from crm_pipelines.store.deferrals import Deferral
from crm_pipelines.store.tables import extract_cursors, sync_chains
from crm_pipelines.store.upsert import upsert_statement


def fully_synced_objects(db: Database, tenant_id: str) -> set[str]:
    """The CRM objects whose first full sync has finished for the tenant."""
    with db.engine.connect() as conn:
        return set(conn.execute(select(extract_cursors.c.sobject).where(
            extract_cursors.c.tenant_id == tenant_id, extract_cursors.c.full_sync_completed_at.is_not(None))).scalars())


def deferred_extractions(deferrals: Sequence[Deferral]) -> dict[str, list[DeferredExtraction]]:
    """Open deferrals by tenant, as the sync chain's rule reads them."""
    by_tenant: dict[str, list[DeferredExtraction]] = {}
    for d in deferrals:
        by_tenant.setdefault(d.tenant_id, []).append(DeferredExtraction(d.objects, d.reason, d.resume_at))
    return by_tenant


def chain_states(db: Database, tenant_id: str | None = None) -> dict[str, ChainState]:
    """Every tenant's (or one tenant's) sync chain state, by tenant id."""
    stmt = select(sync_chains)
    if tenant_id is not None:
        stmt = stmt.where(sync_chains.c.tenant_id == tenant_id)
    with db.engine.connect() as conn:
        return {row["tenant_id"]: ChainState(row["completed_at"], row["incomplete_since"], row["incomplete_reason"])
                for row in conn.execute(stmt).mappings()}


def mark_chain_incomplete(db: Database, tenant_id: str, reason: str, at: datetime) -> None:
    """A sync stopped short of its chain: pushes wait until one completes. The first stop's time is kept."""
    with db.transaction() as conn:
        since = conn.execute(select(sync_chains.c.incomplete_since)
                             .where(sync_chains.c.tenant_id == tenant_id)).scalar()
        conn.execute(upsert_statement(conn, sync_chains, ["tenant_id"], update=lambda excluded: {
            "incomplete_since": excluded["incomplete_since"], "incomplete_reason": excluded["incomplete_reason"],
            "updated_at": excluded["updated_at"]}),
            {"tenant_id": tenant_id, "completed_at": None, "completed_run_id": None,
             "incomplete_since": since or at, "incomplete_reason": reason, "updated_at": at})


def record_chain_completed(db: Database, tenant_id: str, at: datetime, run_id: str | None) -> None:
    """The tenant's whole sync chain completed: a done sync (S2), and pushes may go out."""
    with db.transaction() as conn:
        conn.execute(upsert_statement(conn, sync_chains, ["tenant_id"]),
                     {"tenant_id": tenant_id, "completed_at": at, "completed_run_id": run_id,
                      "incomplete_since": None, "incomplete_reason": None, "updated_at": at})
