"""Which prospects' lead scores crossed their tenant's interest threshold (P4c), kept between the
`push_triggers` ticks: whether each score was at or above the threshold when last seen, and the
latest crossing until the push it triggered went out. Read and written for every tenant at once,
in a constant number of queries per tick."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, and_, case, false, func, not_, or_, select, update

from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import interest_crossings, prospects, tenants
from crm_pipelines.store.upsert import upsert_statement


def interest_changes(db: Database, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """Prospects of the tenants in `thresholds` (tenant id → interest threshold) whose side of the
    threshold differs from when last seen: tenant_id, prospect_id, above (now), was_above. A deleted
    prospect or one without a score is below. One query, whatever the number of tenants.

    The query takes each tenant's threshold from its stored settings (joined, not passed: a fleet's
    thresholds as SQL parameters would be thousands of them); rows are then kept for the tenants of
    `thresholds` at the threshold given there, so the registry's validated value decides."""
    columns = ["tenant_id", "prospect_id", "above", "was_above"]
    if not thresholds:
        return pd.DataFrame(columns=columns)
    threshold = tenants.c.settings[("push", "interest_threshold")].as_float()
    above = and_(func.coalesce(prospects.c.lead_score >= threshold, false()),
                 not_(func.coalesce(prospects.c.is_deleted, false())))
    was_above = func.coalesce(interest_crossings.c.above, false())
    joined = prospects.join(tenants, tenants.c.id == prospects.c.tenant_id).outerjoin(interest_crossings, and_(
        interest_crossings.c.tenant_id == prospects.c.tenant_id,
        interest_crossings.c.prospect_id == prospects.c.prospect_id))
    stmt = (select(prospects.c.tenant_id, prospects.c.prospect_id, above.label("above"), was_above.label("was_above"),
                   threshold.label("threshold"))
            .select_from(joined)
            .where(tenants.c.status == "connected", threshold.is_not(None),
                   or_(and_(above, not_(was_above)), and_(not_(above), was_above))))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    kept = [row[:4] for row in rows if row.tenant_id in thresholds and row.threshold == thresholds[row.tenant_id]]
    frame = pd.DataFrame(kept, columns=columns)
    return frame.astype({"above": bool, "was_above": bool})


def record_interest_changes(db: Database, changes: pd.DataFrame, at: datetime) -> None:
    """Each prospect's new side of the threshold; a crossing (`crossed`) starts a push trigger that
    stays pending until the push answers it."""
    if changes.empty:
        return
    rows = [{"tenant_id": r["tenant_id"], "prospect_id": r["prospect_id"], "above": bool(r["above"]),
             "crossed_at": at if r["crossed"] else None, "pushed_at": None, "updated_at": at}
            for r in changes.to_dict("records")]
    with db.transaction() as conn:
        # A drop below keeps the last crossing and its push; a crossing starts a new one.
        conn.execute(upsert_statement(conn, interest_crossings, ["tenant_id", "prospect_id"], update=lambda ex: {
            "above": ex["above"], "updated_at": ex["updated_at"],
            "crossed_at": func.coalesce(ex["crossed_at"], interest_crossings.c.crossed_at),
            "pushed_at": case((ex["crossed_at"].is_(None), interest_crossings.c.pushed_at), else_=None)}), rows)


def pending_crossings(db: Database, tenant_id: str) -> pd.DataFrame:
    """The tenant's crossings whose push has not gone out: prospect_id, crossed_at."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(interest_crossings.c.prospect_id, interest_crossings.c.crossed_at).where(
            interest_crossings.c.tenant_id == tenant_id, interest_crossings.c.crossed_at.is_not(None),
            interest_crossings.c.pushed_at.is_(None)).order_by(interest_crossings.c.prospect_id)).all()
    return pd.DataFrame(rows, columns=["prospect_id", "crossed_at"])


def answer_crossings(conn: Connection, tenant_id: str, prospect_ids: list[str], at: datetime) -> None:
    """The pushes the crossings triggered went out (or cannot go): they trigger nothing more."""
    if prospect_ids:
        conn.execute(update(interest_crossings).where(
            interest_crossings.c.tenant_id == tenant_id, interest_crossings.c.prospect_id.in_(prospect_ids),
            interest_crossings.c.pushed_at.is_(None)).values(pushed_at=at))
