"""The `tenant_freshness` sensor over several ticks: a tenant that turns stale gets one report run
recording its failed `crm_sync_completed:fresh_for_tenant` check, nothing while nothing changes,
and one more run when it is fresh again. A first tick on fresh data launches nothing."""

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from crm_pipelines.automation.freshness import FRESH_CHECK_KEY, tenant_freshness
from crm_pipelines.clock import ClockResource
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.resource import DatabaseResource
from tests.sim_tenants import db_url, register_sim_tenant, run_job

MINUTE = 60


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=6) as sim:
        yield sim


class Daemon:
    """The sensor's ticks as the daemon makes them: the cursor carried from one to the next, and
    each run it asks for launched on the same instance."""

    def __init__(self, db, instance: DagsterInstance):
        self.db, self.instance, self.cursor, self.launched = db, instance, None, []

    def tick(self, offset_seconds: float) -> list[list[str]]:
        context = build_sensor_context(instance=self.instance, cursor=self.cursor, resources={
            "database": DatabaseResource(database_url=db_url(self.db)),
            "clock": ClockResource(offset_seconds=offset_seconds)})
        result = tenant_freshness(context)
        self.cursor = result.cursor
        assert result.cursor is not None
        reported = []
        for request in result.run_requests or []:
            defs = build_definitions(db_url(self.db), clock_offset_seconds=offset_seconds)
            job = defs.resolve_job_def(request.job_name or "tenant_freshness_report")
            run = job.execute_in_process(run_config=request.run_config, instance=self.instance,
                                         tags={**request.tags, "dagster/run_key": request.run_key})
            assert run.success
            reported.append(sorted(e.partition for e in run.get_asset_check_evaluations()))
        if not reported:
            assert isinstance(result.skip_reason, SkipReason)
        return reported

    def check_by_tenant(self) -> dict[str, str]:
        infos = self.instance.event_log_storage.get_asset_check_partition_info([FRESH_CHECK_KEY])
        return {i.partition_key: i.latest_execution_status.value for i in infos}


PASSED, FAILED = AssetCheckExecutionRecordStatus.SUCCEEDED.value, AssetCheckExecutionRecordStatus.FAILED.value


def test_a_stale_tenant_is_reported_once_when_it_turns_stale_and_once_when_fresh_again(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "15"})  # stale 45 minutes after its sync
    register_sim_tenant(db, sim, "globex", **{"sync.frequency_minutes": "60"})  # never synced: from its connection
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    daemon = Daemon(db, instance)

    # A fresh daemon on fresh data: nothing to report, however often it looks.
    assert daemon.tick(0) == []
    assert daemon.tick(3 * MINUTE) == []

    assert daemon.tick(46 * MINUTE) == [["acme"]]
    assert daemon.check_by_tenant() == {"acme": FAILED}
    [evaluation] = [e for e in instance.get_records_for_run(instance.get_runs(limit=1)[0].run_id).records
                    if e.event_log_entry.dagster_event and e.event_log_entry.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"]
    data = evaluation.event_log_entry.dagster_event.event_specific_data
    assert data.metadata["sync_frequency_minutes"].value == 15
    assert data.metadata["last_completed_at"].value != "never"
    assert daemon.tick(49 * MINUTE) == []
    assert daemon.tick(52 * MINUTE) == []

    assert run_job(db, "crm_sync", "acme", instance, clock_offset_seconds=55 * MINUTE).success
    assert daemon.tick(56 * MINUTE) == [["acme"]]
    assert daemon.check_by_tenant() == {"acme": PASSED}
    assert daemon.tick(59 * MINUTE) == []

    # globex, never synced, by its own frequency from its connection: 2 h 15 min.
    assert daemon.tick(136 * MINUTE) == [["acme", "globex"]]  # acme stale again by then too
    assert daemon.check_by_tenant() == {"acme": FAILED, "globex": FAILED}
    assert daemon.tick(139 * MINUTE) == []


def test_a_first_tick_reports_a_tenant_that_really_is_stale(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "5"})
    daemon = Daemon(db, DagsterInstance.ephemeral())
    assert daemon.tick(26 * MINUTE) == [["acme"]]
    assert daemon.check_by_tenant() == {"acme": FAILED}
    assert daemon.tick(29 * MINUTE) == []


def test_the_check_run_for_one_tenant_from_the_ui_gives_the_same_verdict(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "5"})
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    defs = build_definitions(db_url(db), clock_offset_seconds=26 * MINUTE)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_check_selection={FRESH_CHECK_KEY},
                                                                  asset_selection=set())
    result = job.execute_in_process(instance=instance, partition_key="acme")
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.partition, evaluation.passed, evaluation.severity.value) == ("acme", False, "WARN")
