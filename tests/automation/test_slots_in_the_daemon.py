"""The real `dagster-daemon` over several ticks and a restart (O3, S2, S3): each tenant's daily
rebuild, push interval and sync frequency slot is launched once, whoever launched it, whatever the
cron. The schedules look every minute here (CRM_PIPELINES_SCHEDULE_CRON); the slots are the real
ones. The run queue launches nothing (max_concurrent_runs 0), so the runs stay queued and are counted
as the daemon created them."""

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from crm_pipelines.core.launch_slots import interval_slot_start, local_instant, slot_name
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.sync_chains import record_chain_completed
from crm_pipelines.store.tenants import TenantRegistry
from tests.dagster_services import daemon_only

pytestmark = pytest.mark.slow

SLOT = "crm_pipelines/slot"
TENANTS = ("acme", "globex", "initech")
# Each tenant's day starts at its own midnight: globex's in Auckland is the previous UTC day's 11:00
# or 12:00, initech's in Los Angeles today's 07:00 or 08:00 UTC.
ZONES = {"acme": "UTC", "globex": "Pacific/Auckland", "initech": "America/Los_Angeles"}
QUEUE_ONLY = """\
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 0
telemetry:
  enabled: false
"""


def _tenant(tenant_id: str) -> Tenant:
    return validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})


def _ticks(instance: DagsterInstance, name: str) -> int:
    """Ticks of the named schedule or sensor that finished (launched or skipped)."""
    for state in instance.all_instigator_state():
        if state.instigator_name == name:
            return len(instance.get_ticks(state.instigator_origin_id, state.selector_id,
                                          statuses=[TickStatus.SUCCESS, TickStatus.SKIPPED]))
    return 0


def _wait_for_ticks(instance: DagsterInstance, wanted: dict[str, int], log) -> None:
    deadline = time.monotonic() + 300
    while any(_ticks(instance, name) < n for name, n in wanted.items()):
        assert time.monotonic() < deadline, (
            f"ticks {[(name, _ticks(instance, name)) for name in wanted]}, wanted {wanted}\n" + log.read_text()[-3000:])
        time.sleep(2)


def test_each_tenants_slots_are_launched_once_over_ticks_and_a_daemon_restart(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(QUEUE_ONLY)
    db_url = f"sqlite:///{tmp_path / 'app.db'}"
    db = open_database(db_url)
    now = datetime.now(UTC)
    # Connected three hours ago, last synced two hours ago: the connection was followed (no catch-up),
    # the hourly sync and push are due, and today's rebuild at 00:00 has passed.
    registry = TenantRegistry(db, clock=lambda: now - timedelta(hours=3))
    for tenant in TENANTS:
        registry.add(_tenant(tenant).with_settings({"auto_save.daily_rebuild_at": "00:00", "time_zone": ZONES[tenant]}))
        record_chain_completed(db, tenant, now - timedelta(hours=2), "earlier-run")
    env = {**os.environ, "DAGSTER_HOME": str(home), "CRM_PIPELINES_DB_URL": db_url,
           "CRM_PIPELINES_DATA_DIR": str(tmp_path / "data"), "CRM_PIPELINES_SCHEDULE_CRON": "* * * * *"}
    instance = DagsterInstance.from_config(str(home))
    try:
        instance.add_dynamic_partitions("tenants", list(TENANTS))
        # initech's push of this hour was launched by someone else (an operator, another daemon).
        initech_push = slot_name("push", "initech", interval_slot_start(now, timedelta(hours=1)))
        instance.add_run(DagsterRun(job_name="outbound_push", run_id=make_new_run_id(),
                                    tags={SLOT: initech_push, "dagster/partition": "initech"},
                                    status=DagsterRunStatus.FAILURE))
        # globex's push was launched from the UI this hour: only `dagster/partition`, no slot.
        globex_push = slot_name("push", "globex", interval_slot_start(now, timedelta(hours=1)))
        instance.add_run(DagsterRun(job_name="outbound_push", run_id=make_new_run_id(),
                                    tags={"dagster/partition": "globex"}, status=DagsterRunStatus.SUCCESS))
        log = tmp_path / "daemon.log"
        with daemon_only(env, tmp_path, log):
            _wait_for_ticks(instance, {"daily_list_rebuild": 2, "outbound_push_schedule": 2, "crm_sync_due": 2}, log)
        before_restart = len(instance.get_runs())
        with daemon_only(env, tmp_path, log):
            _wait_for_ticks(instance, {"daily_list_rebuild": 3, "outbound_push_schedule": 3, "crm_sync_due": 3}, log)
        runs = instance.get_runs()
    finally:
        instance.dispose()

    ui_runs = [run for run in runs if SLOT not in run.tags]
    assert len(ui_runs) == 1, "every run the automation launched carries its slot"
    per_slot = Counter(run.tags[SLOT] for run in runs if SLOT in run.tags)
    assert set(per_slot.values()) == {1}, f"a slot launched twice: {per_slot}"
    by_kind = Counter((slot.split(":")[0], slot.split(":")[1]) for slot in per_slot)
    # Each tenant's day, sync slot and push slot at least once (a slot may turn over meanwhile).
    for tenant in TENANTS:
        assert by_kind[("rebuild", tenant)] == 1
        zone = ZoneInfo(ZONES[tenant])
        local_midnight = local_instant(now.astimezone(zone).date(), dt_time(0, 0), zone)
        assert per_slot[slot_name("rebuild", tenant, local_midnight)] == 1, "the rebuild of its own local day"
        assert by_kind[("sync", tenant)] >= 1
    assert by_kind[("push", "acme")] >= 1
    assert per_slot[initech_push] == 1, "the slot someone else launched was not launched again"
    assert globex_push not in per_slot, "the UI's push of this hour was the slot's push"
    assert before_restart <= len(runs)
    assert not [r for r in runs if r.tags.get("crm_pipelines/reason") == "connect"], "no catch-up was due"
