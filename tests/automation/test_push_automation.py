"""The push schedule and the push-trigger sensor, evaluated with Dagster's own contexts (S3, P4, O3)."""

import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import DagsterInstance, DagsterRunStatus, SkipReason, build_schedule_context, build_sensor_context
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from crm_pipelines.automation.outbound_push import outbound_push_schedule, push_triggers
from crm_pipelines.cli.output import NOT_FOUND
from crm_pipelines.clock import ClockResource
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.app_data import write_app_table
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import mark_chain_incomplete, record_chain_completed
from crm_pipelines.store.tenants import TenantRegistry
from tests.cli_runner import invoke
from tests.sim_tenants import db_url

TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _tenant(tenant_id: str, **settings: str) -> Tenant:
    tenant = validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})
    return tenant.with_settings(settings) if settings else tenant


def _registry(db) -> TenantRegistry:
    registry = TenantRegistry(db)
    registry.add(_tenant("acme", **{"push.interval_minutes": "30"}))
    registry.add(_tenant("globex"))  # the default: every 60 minutes
    registry.add(_tenant("initech"))
    registry.disconnect("initech")
    registry.add(_tenant("hooli", **{"push.enabled": "false"}))
    registry.add(_tenant("umbrella"))
    DeferralStore(db).record("umbrella", "outbound_push", ["crm_push_results"], "budget", TEN + timedelta(hours=20), TEN)
    for tenant in ("acme", "globex", "initech", "hooli", "umbrella"):
        record_chain_completed(db, tenant, TEN - timedelta(hours=1), "sync-run")  # each has synced before
    return registry


def _tick(db, moment: datetime, instance: DagsterInstance | None = None) -> dict[str, str]:
    """One tick; with an instance, as the daemon runs it: each request becomes a run with its tags."""
    with tempfile.TemporaryDirectory() as scratch:
        instance = instance or DagsterInstance.local_temp(scratch)  # a schedule's context wants a persistent one
        with build_schedule_context(instance=instance, scheduled_execution_time=moment,
                                    resources={"database": DatabaseResource(database_url=db_url(db)),
                                               "clock": ClockResource()}) as context:
            result = outbound_push_schedule(context)
        requests = [] if isinstance(result, SkipReason) else list(result)
        for request in requests:
            instance.add_run(DagsterRun(job_name="outbound_push", run_id=make_new_run_id(), tags=request.tags))
        return {r.partition_key: r.run_key for r in requests}


def test_each_connected_tenant_with_pushes_on_is_pushed_once_per_its_own_interval(sqlite_db):
    _registry(sqlite_db)
    ticks = {m: _tick(sqlite_db, TEN + timedelta(minutes=m)) for m in (0, 5, 25, 30, 55, 60)}
    assert set(ticks[0]) == {"acme", "globex"}, "never a disconnected tenant, pushes off, or a push deferred"
    # One run key per interval slot: the ticks inside a slot repeat it, so Dagster launches it once.
    assert ticks[0]["acme"] == ticks[5]["acme"] == ticks[25]["acme"] != ticks[30]["acme"] == ticks[55]["acme"]
    assert ticks[0]["globex"] == ticks[30]["globex"] == ticks[55]["globex"] != ticks[60]["globex"]
    assert len({ticks[m]["acme"] for m in ticks}) == 3 and len({ticks[m]["globex"] for m in ticks}) == 2


def test_a_slot_already_launched_by_any_tick_or_daemon_launches_nothing_more(sqlite_db, tmp_path):
    _registry(sqlite_db)
    instance = DagsterInstance.local_temp(str(tmp_path))
    # The slot globex is in at 10:00 was launched by someone else (a daemon before a restart, say).
    instance.add_run(DagsterRun(job_name="outbound_push", run_id=make_new_run_id(),
                                tags={"crm_pipelines/slot": "push:globex:2026-03-02T10:00Z"}))
    launched = [_tick(sqlite_db, TEN + timedelta(minutes=m), instance) for m in (0, 5, 5, 25, 30, 35, 60, 65)]
    assert launched == [
        {"acme": "push:acme:2026-03-02T10:00Z"}, {}, {}, {},
        {"acme": "push:acme:2026-03-02T10:30Z"}, {},
        {"acme": "push:acme:2026-03-02T11:00Z", "globex": "push:globex:2026-03-02T11:00Z"}, {},
    ]
    per_slot = Counter(run.tags["crm_pipelines/slot"] for run in instance.get_runs())
    assert set(per_slot.values()) == {1}


def test_a_resolved_deferral_lets_the_schedule_push_the_tenant_again(sqlite_db):
    _registry(sqlite_db)
    DeferralStore(sqlite_db).complete("umbrella", "outbound_push", "crm_push_results", TEN)
    assert "umbrella" in _tick(sqlite_db, TEN)


def test_a_tenant_whose_sync_chain_is_incomplete_is_pushed_once_it_completed(sqlite_db, tmp_path):
    _registry(sqlite_db)
    registry = TenantRegistry(sqlite_db)
    registry.add(_tenant("hooli2"))  # never synced
    mark_chain_incomplete(sqlite_db, "globex", "extraction incomplete: Contact deferred", TEN)
    # acme's last sync deferred its Leads: the extraction gate marked its chain incomplete.
    DeferralStore(sqlite_db).record("acme", "crm_sync", ["Lead"], "budget", TEN + timedelta(hours=20), TEN)
    mark_chain_incomplete(sqlite_db, "acme", "extraction incomplete: Lead deferred", TEN)
    with build_schedule_context(instance=DagsterInstance.local_temp(str(tmp_path)), scheduled_execution_time=TEN,
                                resources={"database": DatabaseResource(database_url=db_url(sqlite_db)),
                                           "clock": ClockResource()}) as context:
        skipped = outbound_push_schedule(context)
    assert isinstance(skipped, SkipReason), "nobody's sync chain is complete"
    assert "acme, globex, hooli2" in skipped.skip_message

    DeferralStore(sqlite_db).complete("acme", "crm_sync", "Lead", TEN)
    assert _tick(sqlite_db, TEN) == {}, "acme's extraction completed, but not its chain yet"
    for tenant in ("acme", "globex", "hooli2"):
        record_chain_completed(sqlite_db, tenant, TEN + timedelta(minutes=3), "resumed-run")
    assert set(_tick(sqlite_db, TEN + timedelta(minutes=5))) == {"acme", "globex", "hooli2"}


def _sense(db, instance) -> dict[str, str]:
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource()})
    result = push_triggers(context)
    return {} if isinstance(result, SkipReason) else {r.partition_key: r.run_key for r in result}


def test_a_push_request_or_a_new_todo_launches_the_tenants_push_once_each(sqlite_db, monkeypatch):
    _registry(sqlite_db)
    instance = DagsterInstance.ephemeral()
    for tenant in ("acme", "initech"):
        write_app_table(sqlite_db, tenant, "prospects", pd.DataFrame({"prospect_id": ["p-1"]}))
    assert _sense(sqlite_db, instance) == {}

    env = {"CRM_PIPELINES_DB_URL": db_url(sqlite_db)}
    for tenant in ("acme", "initech"):
        result = invoke("push", "request", "--tenant", tenant, "--prospect", "p-1", env=env)
        assert result.exit_code == 0, result.output
    first = _sense(sqlite_db, instance)
    assert list(first) == ["acme"], "a disconnected tenant's request waits for its reconnect"
    assert _sense(sqlite_db, instance) == first  # the same trigger: the same run key, launched once

    write_app_table(sqlite_db, "acme", "todos", pd.DataFrame({
        "todo_id": ["td-1"], "prospect_id": ["p-1"], "assignee_user_id": ["u-1"],
        "created_at": [pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)]}))
    second = _sense(sqlite_db, instance)
    assert second["acme"] != first["acme"]


def test_a_trigger_a_push_already_followed_is_not_due_again_on_a_fresh_daemon(sqlite_db):
    _registry(sqlite_db)
    write_app_table(sqlite_db, "acme", "prospects", pd.DataFrame({"prospect_id": ["p-1"]}))
    # A to-do for a user the CRM has no match for: the push that ran after it could not push it.
    write_app_table(sqlite_db, "acme", "todos", pd.DataFrame({
        "todo_id": ["td-1"], "prospect_id": ["p-1"], "assignee_user_id": ["u-nomatch"],
        "created_at": [pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)]}))
    instance = DagsterInstance.ephemeral()  # a daemon that remembers no run key of that push
    instance.add_run(DagsterRun(job_name="outbound_push", run_id=make_new_run_id(),
                                tags={"dagster/partition": "acme"}, status=DagsterRunStatus.SUCCESS))
    assert _sense(sqlite_db, instance) == {}, "the push after the to-do already saw it"

    env = {"CRM_PIPELINES_DB_URL": db_url(sqlite_db)}
    result = invoke("push", "request", "--tenant", "acme", "--prospect", "p-1", env=env)
    assert result.exit_code == 0, result.output
    assert list(_sense(sqlite_db, instance)) == ["acme"], "a request after that push is due"


def test_a_push_request_for_an_unknown_prospect_or_tenant_is_refused(sqlite_db):
    _registry(sqlite_db)
    env = {"CRM_PIPELINES_DB_URL": db_url(sqlite_db)}
    unknown = invoke("push", "request", "--tenant", "acme", "--prospect", "p-nope", env=env)
    assert unknown.exit_code == NOT_FOUND and "no prospect 'p-nope'" in unknown.output
    nobody = invoke("push", "status", "--tenant", "nobody", env=env)
    assert nobody.exit_code == NOT_FOUND and "nobody" in nobody.output
