"""The daily list rebuild over simulated days of ticks (O3, L4; issue 15 point 1): tenants in several
time zones, rebuild times at the edges of the day and in the hour a clock change skips or repeats.
Every tick of the schedule's own cron is evaluated as the daemon evaluates it (Dagster's schedule
context on a real instance, each request launched as a run with its tags), and each tenant is
launched once per local day, at the minute its time comes."""

import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, DagsterRun, SkipReason, build_schedule_context
from dagster._core.utils import make_new_run_id
from dagster._utils.schedules import cron_string_iterator

from crm_pipelines.automation.auto_save_rebuild import daily_list_rebuild
from crm_pipelines.core.launch_slots import local_instant
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url

pytestmark = pytest.mark.slow

# tenant: (time_zone, auto_save.daily_rebuild_at)
TENANTS = {
    "utc-midnight": ("UTC", "00:00"),
    "utc-last-minute": ("UTC", "23:59"),
    "berlin-night": ("Europe/Berlin", "02:30"),  # skipped in spring, shown twice in autumn
    "berlin-late": ("Europe/Berlin", "23:45"),
    "auckland-midnight": ("Pacific/Auckland", "00:00"),
    "auckland-last-minute": ("Pacific/Auckland", "23:59"),
    "los-angeles-late": ("America/Los_Angeles", "23:52"),
    "kathmandu-early": ("Asia/Kathmandu", "00:15"),  # +05:45
}


def _tenant(tenant_id: str, zone: str, at: str) -> Tenant:
    return validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"},
    }}).with_settings({"time_zone": zone, "auto_save.daily_rebuild_at": at})


# The European clock changes of 2027: 02:00 CET becomes 03:00 CEST, and 03:00 CEST becomes 02:00 CET.
@pytest.mark.parametrize("change", [date(2027, 3, 28), date(2027, 10, 31)], ids=["spring-forward", "fall-back"])
def test_each_tenant_is_rebuilt_once_per_local_day_at_its_minute_over_simulated_days_of_ticks(sqlite_db, tmp_path, change):
    db = sqlite_db
    registry = TenantRegistry(db)
    for tenant_id, (zone, at) in TENANTS.items():
        registry.add(_tenant(tenant_id, zone, at))
    # From 07:00 UTC the day before to 09:00 UTC the day after: every tenant's local day of the
    # change, or the day before it, lies whole inside, from Auckland's (+13) to Los Angeles' (−8).
    begin = datetime.combine(change - timedelta(days=1), time(7), UTC)
    end = datetime.combine(change + timedelta(days=1), time(9), UTC)
    resources = {"database": DatabaseResource(database_url=db_url(db))}
    launched: list[tuple[str, datetime]] = []
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        instance.add_dynamic_partitions("tenants", list(TENANTS))
        ticks = cron_string_iterator(begin.timestamp(), daily_list_rebuild.cron_schedule,
                                     daily_list_rebuild.execution_timezone)
        for tick in ticks:
            if tick >= end:
                break
            with build_schedule_context(instance=instance, scheduled_execution_time=tick, resources=resources) as context:
                _share(context, instance)
                result = daily_list_rebuild(context)
            for request in [] if isinstance(result, SkipReason) else result:
                # Created at the tick, as the daemon would have: "since the slot began" reads creation times.
                instance.run_storage.add_historical_run(
                    DagsterRun(job_name="auto_save_rebuild", run_id=make_new_run_id(), tags=request.tags), tick)
                launched.append((request.partition_key, tick.astimezone(UTC)))

    per_local_day = Counter((tenant, at.astimezone(ZoneInfo(TENANTS[tenant][0])).date()) for tenant, at in launched)
    assert set(per_local_day.values()) == {1}, f"a tenant launched twice in one local day: {per_local_day}"
    for tenant_id, (zone_name, at) in TENANTS.items():
        zone = ZoneInfo(zone_name)
        whole_days = [day for day in (change - timedelta(days=2) + timedelta(days=n) for n in range(4))
                      if begin <= local_instant(day, time(0), zone)
                      and local_instant(day + timedelta(days=1), time(0), zone) <= end]
        assert whole_days, f"{tenant_id} has a whole local day in the window"
        for day in whole_days:
            # Launched at the tick of its minute (or the jump over it): the cron skips none.
            assert (tenant_id, local_instant(day, time.fromisoformat(at), zone)) in launched, (tenant_id, day)
    # The Berlin night: at the jump (03:00 CEST) in spring, at the first 02:30 (CEST) in autumn.
    berlin_night = [at.astimezone(ZoneInfo("Europe/Berlin")) for tenant, at in launched if tenant == "berlin-night"
                    and at.astimezone(ZoneInfo("Europe/Berlin")).date() == change]
    assert [(t.strftime("%H:%M"), t.tzname()) for t in berlin_night] == (
        [("03:00", "CEST")] if change.month == 3 else [("02:30", "CEST")])


def _share(context, instance: DagsterInstance) -> None:
    # The daemon opens the instance from its ref once per tick; opening it costs a tenth of a second
    # (storage revision checks), two days of ticks minutes. The tick reads the same instance either way.
    context._instance = instance  # noqa: SLF001
