"""When a tenant's synced data counts as stale: what the `tenant_freshness` sensor watches.

A tenant syncs every `sync.frequency_minutes` (S2), counted from its last completed sync chain. One
slot may pass without a completed sync (a deferral waiting for the budget, a long run, a daemon
restart) and the data is still as fresh as the tenant asked; a second missed slot and a quarter
of an hour for the run itself, and it is not. A tenant that never completed a sync counts from
when it connected. A disconnected tenant is not synced on purpose (T3) and is not watched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

GRACE = timedelta(minutes=15)
# The longest sync.frequency_minutes the settings allow (S2): the asset-wide freshness window.
LONGEST_FREQUENCY = timedelta(minutes=240)


def allowed_age(frequency: timedelta) -> timedelta:
    """How long after its last completed sync a tenant's data is still fresh."""
    return 2 * frequency + GRACE


@dataclass(frozen=True)
class TenantSync:
    """What the freshness rule reads of one tenant."""

    tenant_id: str
    connected: bool
    frequency: timedelta
    last_completed_at: datetime | None
    connected_at: datetime | None = None


@dataclass(frozen=True)
class Freshness:
    tenant_id: str
    watched: bool
    stale: bool
    # Where the age counts from (the last completed sync, or the connection), and when it turns stale.
    since: datetime | None
    stale_from: datetime | None

    @property
    def reason(self) -> str:
        if not self.watched:
            return "not watched: the tenant is disconnected (T3) or has never connected"
        if self.stale:
            return f"stale since {self.stale_from:%Y-%m-%d %H:%M}Z: no completed sync since {self.since:%Y-%m-%d %H:%M}Z"
        return f"fresh until {self.stale_from:%Y-%m-%d %H:%M}Z (counted from {self.since:%Y-%m-%d %H:%M}Z)"


def freshness(tenant: TenantSync, now: datetime) -> Freshness:
    since = tenant.last_completed_at or tenant.connected_at
    if not tenant.connected or since is None:
        return Freshness(tenant.tenant_id, watched=False, stale=False, since=since, stale_from=None)
    stale_from = since + allowed_age(tenant.frequency)
    return Freshness(tenant.tenant_id, watched=True, stale=now >= stale_from, since=since, stale_from=stale_from)


def stale_tenants(tenants: Iterable[TenantSync], now: datetime) -> set[str]:
    return {t.tenant_id for t in tenants if freshness(t, now).stale}
