"""A deferred sync is visibly incomplete (issue: "a deferred sync looks green"): its run carries what
waits and until when, and the backoff sensor's tick names each tenant it resumes or still waits for."""

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, SkipReason, build_sensor_context

from crm_pipelines.assets.deferred_runs import DEFERRED_TAG, DEFERRED_UNTIL_TAG
from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.clock import ClockResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from tests.sim_tenants import db_url, register_sim_tenant, sync

DAY = 24 * 3600 + 120


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=5) as sim:
        yield sim


def _tick(instance, db, offset_seconds: float):
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)})
    return api_limit_backoff(context)


def test_a_deferred_run_says_what_waits_and_until_when(db, sim):
    register_sim_tenant(db, sim, "acme", **{"api_budget.daily_limit": "7"})
    instance = DagsterInstance.ephemeral()
    result = sync(db, "acme", instance)
    assert result.success
    [deferral] = DeferralStore(db).open("acme")
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[DEFERRED_UNTIL_TAG] == f"{deferral.resume_at:%Y-%m-%dT%H:%M:%SZ}"
    assert tags[DEFERRED_TAG].split(", ") == list(deferral.objects)
    # The run is SUCCESS (what was read is kept); the extraction check is what turns it amber.
    [complete] = [e for e in result.get_asset_check_evaluations() if e.check_name == "extraction_complete"]
    assert not complete.passed and complete.severity == AssetCheckSeverity.WARN


def test_a_complete_run_carries_no_deferral_tag(db, sim):
    register_sim_tenant(db, sim, "acme")
    instance = DagsterInstance.ephemeral()
    result = sync(db, "acme", instance)
    assert result.success and DeferralStore(db).open("acme") == []
    assert DEFERRED_UNTIL_TAG not in instance.get_run_by_id(result.run_id).tags


def test_the_backoff_tick_names_each_tenant_it_resumes_or_waits_for(db, sim, capfd):
    register_sim_tenant(db, sim, "acme", **{"api_budget.daily_limit": "7"})
    register_sim_tenant(db, sim, "globex", **{"api_budget.daily_limit": "7"})
    instance = DagsterInstance.ephemeral()
    assert sync(db, "acme", instance).success
    [acme] = DeferralStore(db).open("acme")

    waiting = _tick(instance, db, 0)
    assert isinstance(waiting, SkipReason)
    assert f"acme (crm_sync) until {acme.resume_at:%Y-%m-%d %H:%M}Z" in waiting.skip_message

    # globex defers a day later: when acme's window reopens, the tick resumes acme and names globex as waiting.
    assert sync(db, "globex", instance, clock_offset_seconds=DAY).success
    [globex] = DeferralStore(db).open("globex")
    capfd.readouterr()
    requests = list(_tick(instance, db, DAY))
    assert [r.partition_key for r in requests] == ["acme"]
    logged = capfd.readouterr().err  # the tick's log, which the UI shows with the tick
    assert f"resumes acme (crm_sync: {', '.join(acme.objects)})" in logged
    assert f"globex (crm_sync) until {globex.resume_at:%Y-%m-%d %H:%M}Z" in logged
