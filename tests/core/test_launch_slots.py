"""The day's rebuild slot in the tenant's time zone (O3, L4): one instant per local day, at any minute
00:00–23:59, on days the clocks spring forward or fall back, on either side of the date line."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_pipelines.core.launch_slots import daily_slot_start, local_instant, next_daily_start

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")
MINUTE = timedelta(minutes=1)


def test_a_tenant_in_utc_rebuilds_at_its_utc_time_as_before():
    at = time(5, 0)
    assert daily_slot_start(datetime(2026, 12, 5, 4, 59, tzinfo=UTC), at) is None
    assert daily_slot_start(datetime(2026, 12, 5, 5, 0, tzinfo=UTC), at) == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
    assert daily_slot_start(datetime(2026, 12, 5, 23, 59, tzinfo=UTC), at) == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)


def test_the_slot_is_the_local_time_as_an_aware_utc_instant():
    start = daily_slot_start(datetime(2026, 12, 5, 12, 0, tzinfo=UTC), time(9, 0), BERLIN)
    assert start == datetime(2026, 12, 5, 8, 0, tzinfo=UTC) and start.tzinfo is UTC
    summer = daily_slot_start(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), time(9, 0), BERLIN)
    assert summer == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_runs_when_they_jump():
    # Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 never shows.
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    for at in (time(2, 0), time(2, 30), time(2, 59)):
        assert local_instant(date(2026, 3, 29), at, BERLIN) == jump
        assert daily_slot_start(jump - MINUTE, at, BERLIN) is None
        assert daily_slot_start(jump, at, BERLIN) == jump
    assert local_instant(date(2026, 3, 29), time(3, 0), BERLIN) == jump, "03:00 CEST itself is that instant"
    # America/New_York, 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
    assert local_instant(date(2026, 3, 8), time(2, 15), NEW_YORK) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    # A skipped midnight: America/Santiago's 2026-09-06 starts at 01:00 (-03).
    assert local_instant(date(2026, 9, 6), time(0, 0), ZoneInfo("America/Santiago")) == datetime(
        2026, 9, 6, 4, 0, tzinfo=UTC)
    # A half-hour change: Australia/Lord_Howe's 02:00 becomes 02:30 on 2026-10-04.
    assert local_instant(date(2026, 10, 4), time(2, 15), ZoneInfo("Australia/Lord_Howe")) == datetime(
        2026, 10, 3, 15, 30, tzinfo=UTC)


def test_a_time_the_clocks_show_twice_runs_at_its_first_showing_and_once():
    # Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 shows at 00:30 and 01:30 UTC.
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert second.astimezone(BERLIN).time() == first.astimezone(BERLIN).time() == time(2, 30)
    assert daily_slot_start(first - MINUTE, time(2, 30), BERLIN) is None
    assert daily_slot_start(first, time(2, 30), BERLIN) == first
    assert daily_slot_start(second, time(2, 30), BERLIN) == first, "the second showing is the same slot"
    # Pacific/Auckland, 2026-04-05: 03:00 NZDT becomes 02:00 NZST.
    assert local_instant(date(2026, 4, 5), time(2, 30), AUCKLAND) == datetime(2026, 4, 4, 13, 30, tzinfo=UTC)


def test_a_local_day_across_the_utc_date_line_has_its_own_slot():
    # Pacific/Auckland (+13 in December): the 6th's 06:00 is the 5th's 17:00 UTC.
    assert daily_slot_start(datetime(2026, 12, 5, 16, 59, tzinfo=UTC), time(6, 0), AUCKLAND) is None
    assert daily_slot_start(datetime(2026, 12, 5, 17, 0, tzinfo=UTC), time(6, 0), AUCKLAND) == datetime(
        2026, 12, 5, 17, 0, tzinfo=UTC)
    # Its 23:59 on the 5th is 10:59 UTC the 5th; its 00:00 on the 6th is 11:00 UTC the 5th.
    assert daily_slot_start(datetime(2026, 12, 5, 10, 59, tzinfo=UTC), time(23, 59), AUCKLAND) == datetime(
        2026, 12, 5, 10, 59, tzinfo=UTC)
    assert daily_slot_start(datetime(2026, 12, 5, 11, 0, tzinfo=UTC), time(23, 59), AUCKLAND) is None, "a new day"
    assert daily_slot_start(datetime(2026, 12, 5, 11, 0, tzinfo=UTC), time(0, 0), AUCKLAND) == datetime(
        2026, 12, 5, 11, 0, tzinfo=UTC)
    # America/Los_Angeles (-8): the 5th's 23:30 is the 6th's 07:30 UTC, still the 5th there.
    assert daily_slot_start(datetime(2026, 12, 6, 7, 29, tzinfo=UTC), time(23, 30), LOS_ANGELES) is None
    assert daily_slot_start(datetime(2026, 12, 6, 7, 45, tzinfo=UTC), time(23, 30), LOS_ANGELES) == datetime(
        2026, 12, 6, 7, 30, tzinfo=UTC)
    assert daily_slot_start(datetime(2026, 12, 6, 8, 0, tzinfo=UTC), time(23, 30), LOS_ANGELES) is None, "a new day"


ZONES = ("UTC", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kathmandu", "Australia/Lord_Howe")
DAYS = (date(2026, 12, 5), date(2026, 3, 29), date(2026, 10, 25), date(2026, 4, 5), date(2026, 9, 27),
        date(2026, 3, 8), date(2026, 11, 1), date(2026, 10, 4))


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_minute_of_every_day_opens_one_slot_on_that_local_day(zone_name):
    zone = ZoneInfo(zone_name)
    for day in DAYS:
        day_begins = local_instant(day, time(0, 0), zone)
        day_ends = local_instant(day + timedelta(days=1), time(0, 0), zone)  # exclusive
        for minute in range(24 * 60):
            at = time(minute // 60, minute % 60)
            start = local_instant(day, at, zone)
            shown = start.astimezone(zone)
            assert day_begins <= start < day_ends and start.second == 0, (zone_name, day, at)
            # It is `at`, or the first instant after a skipped `at`: no earlier instant shows `at` or later.
            assert shown.time() == at or (shown.time() > at and (start - timedelta(seconds=1)).astimezone(zone).time() < at)
            # Every whole-minute look that day from the start on finds that one slot; none before it.
            if start - MINUTE >= day_begins:
                assert daily_slot_start(start - MINUTE, at, zone) is None
            assert daily_slot_start(start, at, zone) == start
            assert daily_slot_start(day_ends - MINUTE, at, zone) == start


def test_the_next_rebuild_is_todays_until_it_starts_then_tomorrows():
    at = time(23, 59)
    assert next_daily_start(datetime(2026, 12, 5, 10, 58, tzinfo=UTC), at, AUCKLAND) == datetime(
        2026, 12, 5, 10, 59, tzinfo=UTC)
    assert next_daily_start(datetime(2026, 12, 5, 10, 59, tzinfo=UTC), at, AUCKLAND) == datetime(
        2026, 12, 6, 10, 59, tzinfo=UTC)
