"""The tenant's daily API budget (S1), kept in the state store.

Every request to a tenant's CRM is counted here *before* it is sent, in the same transaction that
checks the budget, so two runs of one tenant (or a retry storm) can never together exceed it. The
window is a rolling 24 hours, like Salesforce's own: calls are kept in one-minute buckets and a
bucket counts until a minute after it is 24 hours old (erring towards fewer calls, never more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, text, type_coerce

from crm_pipelines.clock import Clock, system_clock
from crm_pipelines.crm.errors import BudgetExhausted
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import api_calls
from crm_pipelines.store.types import UtcDateTime
from crm_pipelines.store.upsert import upsert_statement

WINDOW = timedelta(hours=24)
BUCKET = timedelta(minutes=1)
_KEEP = timedelta(days=8)  # a week of history for reports; the window itself is 24 h


@dataclass(frozen=True)
class BudgetStatus:
    limit: int
    used: int
    oldest_call_at: datetime | None
    checked_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reopens_at(self) -> datetime:
        """When the oldest counted calls leave the window (now, if nothing is counted)."""
        if self.oldest_call_at is None:
            return self.checked_at
        return self.oldest_call_at + WINDOW + BUCKET


class ApiBudget:
    """One tenant's budget: `reserve()` before each call; `status()` to report."""

    def __init__(self, db: Database, tenant_id: str, daily_limit: int, clock: Clock = system_clock) -> None:
        self._db = db
        self.tenant_id = tenant_id
        self.daily_limit = daily_limit
        self._clock = clock
        self.reserved_by_me = 0
        self._pruned = False

    def reserve(self, calls: int = 1) -> BudgetStatus:
        """Count `calls` against the window, or raise BudgetExhausted (counting nothing)."""
        now = self._clock()
        with self._db.transaction() as conn:
            self._lock(conn)
            status = self._status(conn, now)
            if status.used + calls > self.daily_limit:
                raise BudgetExhausted(self.tenant_id, _used_up(status.used, self.daily_limit), status.reopens_at)
            bucket = _bucket_of(now)
            add_calls = upsert_statement(
                conn, api_calls, ["tenant_id", "bucket_start"],
                update=lambda excluded: {"calls": api_calls.c.calls + excluded.calls},
            )
            conn.execute(add_calls, {"tenant_id": self.tenant_id, "bucket_start": bucket, "calls": calls})
            if not self._pruned:
                # History past a week goes with the first call of each asset's budget, not with every
                # call: a no-change sync makes a score of calls, and one delete serves them all.
                conn.execute(
                    api_calls.delete().where(api_calls.c.tenant_id == self.tenant_id, api_calls.c.bucket_start < now - _KEEP)
                )
        self._pruned = True
        self.reserved_by_me += calls
        return BudgetStatus(self.daily_limit, status.used + calls, status.oldest_call_at or bucket, now)

    def require(self, calls: int) -> None:
        """Raise BudgetExhausted (counting nothing) unless `calls` more fit in the window: a write
        that costs several calls (a lookup, then the write) is not started when only part fits."""
        status = self.status()
        if status.used + calls > self.daily_limit:
            raise BudgetExhausted(self.tenant_id, _needs(calls, status.used, self.daily_limit), status.reopens_at)

    def status(self) -> BudgetStatus:
        with self._db.engine.connect() as conn:
            return self._status(conn, self._clock())

    def _status(self, conn: Connection, now: datetime) -> BudgetStatus:
        since = now - WINDOW - BUCKET
        used, oldest = conn.execute(
            # type_coerce: an aggregate loses the column's type, and with it UtcDateTime's parsing.
            select(
                func.coalesce(func.sum(api_calls.c.calls), 0),
                type_coerce(func.min(api_calls.c.bucket_start), UtcDateTime()),
            ).where(
                api_calls.c.tenant_id == self.tenant_id, api_calls.c.bucket_start > since
            )
        ).one()
        return BudgetStatus(self.daily_limit, int(used), oldest, now)

    def _lock(self, conn: Connection) -> None:
        # SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL needs a per-tenant lock
        # so two runs cannot both read "one call left" and both spend it.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"api_budget:{self.tenant_id}"})


def _needs(calls: int, used: int, limit: int) -> str:
    return (f"daily API budget too low for the next write ({calls} calls needed, {max(0, limit - used)} of {limit} "
            "left in the last 24 hours)")


def _used_up(used: int, limit: int) -> str:
    if used > limit:  # the limit was lowered below what the window had already spent
        return (f"daily API budget used up ({used} calls in the last 24 hours, over the daily limit of {limit}, "
                "which was lowered since they were made)")
    return f"daily API budget used up ({used} of {limit} calls in the last 24 hours)"


def busiest_window(db: Database, tenant_id: str) -> int:
    """The most calls the tenant made in any one window (24 hours and a bucket), over the history kept:
    what the budget held to, where a sum over all days would read as "26 of 12"."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(api_calls.c.bucket_start, api_calls.c.calls)
                            .where(api_calls.c.tenant_id == tenant_id).order_by(api_calls.c.bucket_start)).all()
    busiest, first, total = 0, 0, 0
    for start, calls in rows:  # a sliding window over the buckets in time order
        total += calls
        while rows[first][0] <= start - WINDOW - BUCKET:
            total -= rows[first][1]
            first += 1
        busiest = max(busiest, total)
    return busiest


def _bucket_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
