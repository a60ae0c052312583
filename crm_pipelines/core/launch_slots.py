"""The slots the automation launches a tenant's work in (O3, S2, S3).

Each piece of scheduled work belongs to one slot: the daily list rebuild to the tenant's day, the
outbound push to its interval, the CRM sync to its frequency window. A slot is launched at most
once, whoever launches it, so its name is the same whichever tick, daemon or sensor computes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta


def slot_name(kind: str, tenant_id: str, start: datetime) -> str:
    """`<kind>:<tenant>:<slot start, UTC to the minute>`, e.g. `push:acme:2026-12-05T08:00Z`."""
    return f"{kind}:{tenant_id}:{start.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def interval_slot_start(now: datetime, every: timedelta) -> datetime:
    """The start of the window of length `every` that holds `now`, windows counted from the epoch (UTC)."""
    seconds = int(every.total_seconds())
    if seconds <= 0:
        raise ValueError(f"a slot's length must be positive, got {every}")
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def daily_slot_start(now: datetime, at: time) -> datetime | None:
    """Today's slot (UTC day of `now`) at `at`, or None while that time has not come yet today.

    A time that passed while nothing looked (a daemon down, a coarse cron) still opens today's slot:
    the first look after it launches the day's work, later looks that day find the slot launched.
    """
    now = now.astimezone(UTC)
    start = datetime.combine(now.date(), at.replace(tzinfo=None), UTC)
    return start if now >= start else None


def connection_needs_catch_up(connected_at: datetime, chain_completed_at: datetime | None,
                              chain_incomplete_since: datetime | None) -> bool:
    """A (re)connection wants its catch-up sync unless a sync already ran since it connected: one that
    completed its chain, or one that stopped short of it (its deferred work resumes on its own, T3)."""
    since = [at for at in (chain_completed_at, chain_incomplete_since) if at is not None]
    return not any(at >= connected_at for at in since)
