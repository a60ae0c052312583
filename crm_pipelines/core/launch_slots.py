"""The slots the automation launches a tenant's work in (O3, S2, S3).

Each piece of scheduled work belongs to one slot: the daily list rebuild to the tenant's day, the
outbound push to its interval, the CRM sync to its frequency window. A slot is launched at most
once, whoever launches it, so its name is the same whichever tick, daemon or sensor computes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


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


def daily_slot_start(now: datetime, at: time, zone: tzinfo = UTC) -> datetime | None:
    """Today's slot at the local time `at` in `zone` (today: the day `now` falls on there), as an
    aware UTC instant, or None while that time has not come yet today.

    A time that passed while nothing looked (a daemon down, a coarse cron) still opens today's slot:
    the first look after it launches the day's work, later looks that day find the slot launched.
    A local day of 23 or 25 hours (a DST change) still has one slot: see `local_instant`.
    """
    start = local_instant(now.astimezone(zone).date(), at, zone)
    return start if now >= start else None


def next_daily_start(now: datetime, at: time, zone: tzinfo = UTC) -> datetime:
    """The first slot at the local time `at` in `zone` that starts after `now`."""
    today = now.astimezone(zone).date()
    start = local_instant(today, at, zone)
    return start if start > now else local_instant(today + timedelta(days=1), at, zone)


def local_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant the wall clocks of `zone` show `at` on `day`.

    On a fall-back day a time shown twice is its first showing (fold 0), so the day's work is not
    put off by an hour. On a spring-forward day a time the clocks skip is the first instant after
    it, the moment the clocks jump (02:30 in Europe/Berlin on 2026-03-29 is 03:00 CEST).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_clock(first, zone) == wall:
        return first
    # Skipped: fold 1 reads `wall` with the offset after the jump, an instant before it; fold 0
    # with the offset before, an instant after it. The jump lies between, found to the second
    # (zones change offset on whole seconds).
    before, after = int(wall.replace(tzinfo=zone, fold=1).timestamp()), int(first.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if _wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _wall_clock(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def connection_needs_catch_up(connected_at: datetime, chain_completed_at: datetime | None,
                              chain_incomplete_since: datetime | None) -> bool:
    """A (re)connection wants its catch-up sync unless a sync already ran since it connected: one that
    completed its chain, or one that stopped short of it (its deferred work resumes on its own, T3)."""
    since = [at for at in (chain_completed_at, chain_incomplete_since) if at is not None]
    return not any(at >= connected_at for at in since)
