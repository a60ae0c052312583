"""The tenant-registry and sync-frequency sensors, evaluated with Dagster's own sensor contexts
against a real instance (T3, T4, S2, O3, O4)."""

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, DagsterRunStatus, SensorResult, SkipReason, build_sensor_context
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from crm_pipelines.automation.crm_sync import crm_sync_due, tenant_registry
from crm_pipelines.clock import ClockResource
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from crm_pipelines.store.sync_chains import mark_chain_incomplete
from tests.sim_tenants import db_url, register_sim_tenant, run_job


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex", "initech"), scale="tiny", seed=4) as sim:
        yield sim


def _registry_tick(instance, db, cursor=None):
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"database": DatabaseResource(database_url=db_url(db))})
    result = tenant_registry(context)
    if isinstance(result, SensorResult):
        # What the daemon does with the result: apply the partition requests, keep the cursor.
        for request in result.dynamic_partitions_requests or []:
            if request.__class__.__name__ == "AddDynamicPartitionsRequest":
                instance.add_dynamic_partitions("tenants", list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    instance.delete_dynamic_partition("tenants", key)
    return result


def _due_tick(instance, db, offset_seconds=0.0):
    context = build_sensor_context(
        instance=instance,
        resources={"database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)},
    )
    result = crm_sync_due(context)
    return [] if isinstance(result, SkipReason) else list(result)


def test_partitions_follow_the_registry_and_connecting_launches_the_catch_up(db, sim):
    for org in ("acme", "globex", "initech"):
        register_sim_tenant(db, sim, org)
    registry = TenantRegistry(db)
    registry.disconnect("initech")
    instance = DagsterInstance.ephemeral()

    first = _registry_tick(instance, db)
    assert sorted(instance.get_dynamic_partitions("tenants")) == ["acme", "globex", "initech"]
    assert sorted(r.partition_key for r in first.run_requests) == ["acme", "globex"]  # never the disconnected one
    assert all(r.job_name in (None, "crm_sync") for r in first.run_requests)

    again = _registry_tick(instance, db, first.cursor)
    assert isinstance(again, SkipReason)

    registry.reconnect("initech")
    reconnected = _registry_tick(instance, db, first.cursor)
    assert [r.partition_key for r in reconnected.run_requests] == ["initech"]
    assert reconnected.run_requests[0].run_key.startswith("connect-initech-")

    registry.remove("globex")
    removed = _registry_tick(instance, db, reconnected.cursor)
    assert sorted(instance.get_dynamic_partitions("tenants")) == ["acme", "initech"]
    assert removed.run_requests == []


def test_sync_is_launched_when_the_tenants_own_frequency_has_passed(db, sim):
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "15"})
    register_sim_tenant(db, sim, "globex", **{"sync.frequency_minutes": "60"})
    register_sim_tenant(db, sim, "initech")
    TenantRegistry(db).disconnect("initech")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme", "globex", "initech"])
    for tenant in ("acme", "globex"):
        result = build_definitions(db_url(db)).resolve_job_def("crm_sync").execute_in_process(
            instance=instance, partition_key=tenant, raise_on_error=False
        )
        assert result.success

    assert _due_tick(instance, db, 0) == []  # both just synced; initech is disconnected
    after_16 = _due_tick(instance, db, 16 * 60)
    assert [r.partition_key for r in after_16] == ["acme"]
    assert [r.run_key for r in _due_tick(instance, db, 16 * 60)] == [after_16[0].run_key]  # same key: launched once
    after_61 = _due_tick(instance, db, 61 * 60)
    assert sorted(r.partition_key for r in after_61) == ["acme", "globex"]


def test_a_tenant_with_deferred_work_waits_for_the_backoff_sensor(db, sim):
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "15"})
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    now = datetime.now(UTC)
    DeferralStore(db).record("acme", "crm_sync", ["Contact"], "budget", now + timedelta(hours=20), now, "run-1")
    assert _due_tick(instance, db, 3600) == []


def test_a_sync_slot_launched_by_anyone_is_not_launched_again_until_the_next_slot(db, sim):
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "15"})  # never synced: due at once
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    # The clock set to a minute into a 15-minute slot, so that the test never straddles a slot's end.
    at = 60 - datetime.now(UTC).timestamp() % (15 * 60)
    [first] = _due_tick(instance, db, at)
    assert first.tags["crm_pipelines/slot"] == first.run_key and first.run_key.startswith("sync:acme:")
    # The slot's run (launched by a daemon before its restart, or another sensor) failed and is over:
    # the slot stays launched, whatever the sensor's own run keys remember.
    instance.add_run(DagsterRun(job_name="crm_sync", run_id=make_new_run_id(), tags=first.tags,
                                status=DagsterRunStatus.FAILURE))
    assert _due_tick(instance, db, at + 5 * 60) == []
    [following] = _due_tick(instance, db, at + 15 * 60)  # the next slot
    assert following.run_key != first.run_key and following.partition_key == "acme"


def test_a_fresh_registry_cursor_does_not_reconnect_tenants_synced_since_they_connected(db, sim):
    for org in ("acme", "globex", "initech"):
        register_sim_tenant(db, sim, org)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme", "globex", "initech"])
    assert run_job(db, "crm_sync", "acme", instance).success  # acme's connection was followed by a sync
    # globex's last sync stopped short of its chain after it connected: its deferral resumes it.
    mark_chain_incomplete(db, "globex", "extraction incomplete: Lead deferred", datetime.now(UTC))

    fresh = _registry_tick(instance, db)  # a new daemon: the sensor's cursor is empty
    assert [r.partition_key for r in fresh.run_requests] == ["initech"], "initech never synced"
    assert isinstance(_registry_tick(instance, db, fresh.cursor), SkipReason)

    TenantRegistry(db).disconnect("acme")
    TenantRegistry(db).reconnect("acme")  # a reconnection after that sync wants its catch-up
    assert [r.partition_key for r in _registry_tick(instance, db, fresh.cursor).run_requests] == ["acme"]
