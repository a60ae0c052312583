"""Deferred work (S1, O4): what a run could not finish because the budget or the CRM said "not now".

A deferral names the tenant, the job to relaunch, the objects left, why, and when to resume. The
`api_limit_backoff` sensor relaunches each due deferral once (its run key is the deferral's id);
the relaunched job resolves the tenant's deferrals for the objects it completes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, text

from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import deferrals


@dataclass(frozen=True)
class Deferral:
    id: int
    tenant_id: str
    job: str
    objects: tuple[str, ...]
    reason: str
    resume_at: datetime
    created_at: datetime
    run_id: str | None


class DeferralStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self, tenant_id: str, job: str, objects: Sequence[str], reason: str, resume_at: datetime,
        created_at: datetime, run_id: str | None = None,
    ) -> int:
        """Record deferred work; a run that defers several objects gets one deferral listing them
        all (resuming at the latest resume-at), so the sensor relaunches the tenant once."""
        with self._db.transaction() as conn:
            _lock_tenant(conn, tenant_id)
            existing = None
            if run_id is not None:
                existing = conn.execute(
                    select(deferrals).where(
                        deferrals.c.tenant_id == tenant_id, deferrals.c.job == job,
                        deferrals.c.run_id == run_id, deferrals.c.resolved_at.is_(None),
                    )
                ).mappings().first()
            if existing is not None:
                conn.execute(
                    deferrals.update().where(deferrals.c.id == existing["id"]).values(
                        objects=sorted(set(existing["objects"]) | set(objects)),
                        resume_at=max(existing["resume_at"], resume_at),
                        reason=existing["reason"] if reason in existing["reason"] else f"{existing['reason']}; {reason}",
                    )
                )
                _strike_from_older(conn, tenant_id, job, int(existing["id"]), objects, created_at)
                return int(existing["id"])
            result = conn.execute(
                deferrals.insert().values(
                    tenant_id=tenant_id, job=job, objects=sorted(set(objects)), reason=reason,
                    resume_at=resume_at, created_at=created_at, run_id=run_id,
                )
            )
            new_id = int(result.inserted_primary_key[0])
            _strike_from_older(conn, tenant_id, job, new_id, objects, created_at)
            return new_id

    def open(self, tenant_id: str | None = None, job: str | None = None) -> list[Deferral]:
        """Unresolved deferrals, oldest first."""
        stmt = select(deferrals).where(deferrals.c.resolved_at.is_(None)).order_by(deferrals.c.id)
        if tenant_id is not None:
            stmt = stmt.where(deferrals.c.tenant_id == tenant_id)
        if job is not None:
            stmt = stmt.where(deferrals.c.job == job)
        with self._db.engine.connect() as conn:
            return [_to_deferral(row) for row in conn.execute(stmt).mappings()]

    def count(self, tenant_id: str) -> int:
        """Every deferral ever recorded for the tenant, open or resolved."""
        from sqlalchemy import func

        with self._db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(deferrals).where(deferrals.c.tenant_id == tenant_id)).scalar_one())

    def due(self, now: datetime) -> list[Deferral]:
        return [d for d in self.open() if d.resume_at <= now]

    def complete(self, tenant_id: str, job: str, obj: str, at: datetime) -> int:
        """`obj` of `job` finished without deferring: strike it from the tenant's open deferrals,
        resolving those left with nothing. Returns how many were resolved."""
        resolved = 0
        with self._db.transaction() as conn:
            _lock_tenant(conn, tenant_id)
            rows = conn.execute(
                select(deferrals).where(
                    deferrals.c.tenant_id == tenant_id, deferrals.c.job == job, deferrals.c.resolved_at.is_(None)
                )
            ).mappings().all()
            for row in rows:
                if obj not in row["objects"]:
                    continue
                left = [o for o in row["objects"] if o != obj]
                conn.execute(
                    deferrals.update().where(deferrals.c.id == row["id"]).values(objects=left, resolved_at=None if left else at)
                )
                resolved += 0 if left else 1
        return resolved


def _strike_from_older(conn: Connection, tenant_id: str, job: str, keep_id: int, objects: Sequence[str],
                       at: datetime) -> None:
    # Deferral `keep_id` now carries these objects: strike them from the tenant's other open
    # deferrals, so one piece of work is never relaunched twice (one left with nothing is resolved
    # as superseded). Needed on both paths: a run that defers a second object adds it to its own
    # deferral, and the deferral it was resuming still lists that object.
    for row in conn.execute(
        select(deferrals).where(
            deferrals.c.tenant_id == tenant_id, deferrals.c.job == job,
            deferrals.c.resolved_at.is_(None), deferrals.c.id != keep_id,
        )
    ).mappings().all():
        left = [o for o in row["objects"] if o not in set(objects)]
        if left != list(row["objects"]):
            conn.execute(
                deferrals.update().where(deferrals.c.id == row["id"]).values(
                    objects=left, resolved_at=None if left else at
                )
            )


def _lock_tenant(conn: Connection, tenant_id: str) -> None:
    # Assets of one run defer or complete in parallel processes; on PostgreSQL a per-tenant lock
    # keeps their read-modify-write of the deferral rows from interleaving (SQLite serializes anyway).
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"deferrals:{tenant_id}"})


def _to_deferral(row) -> Deferral:  # type: ignore[no-untyped-def]
    return Deferral(
        id=row["id"], tenant_id=row["tenant_id"], job=row["job"], objects=tuple(row["objects"]),
        reason=row["reason"], resume_at=row["resume_at"], created_at=row["created_at"], run_id=row["run_id"],
    )
