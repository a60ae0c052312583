"""Running out of budget, REQUEST_LIMIT_EXCEEDED and long Retry-After: keep, defer, resume (S1, O4)."""

from datetime import timedelta

import pytest
import requests
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.clock import ClockResource, system_clock
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from tests.sim_tenants import assert_warehouse_equals_sim, db_url, metadata_by_asset, register_sim_tenant, sync

DAY = 24 * 3600 + 120  # one rolling window and a little more


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=5) as sim:
        yield sim


def evaluate_sensor(instance, db, offset_seconds: float):
    context = build_sensor_context(
        instance=instance,
        resources={"database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)},
    )
    result = api_limit_backoff(context)
    if isinstance(result, SkipReason):
        return []
    return list(result)


def run_request(instance, db, request: RunRequest, offset_seconds: float):
    """Launch what the sensor asked for the way the daemon would: the job, the partition, the
    selected assets and the run key as tags."""
    defs = build_definitions(db_url(db), clock_offset_seconds=offset_seconds)
    job = defs.resolve_job_def(request.job_name).get_subset(
        asset_selection=set(request.asset_selection), asset_check_selection=set(request.asset_check_keys or ()))
    return job.execute_in_process(
        instance=instance, partition_key=request.partition_key,
        tags={**request.tags, "dagster/run_key": request.run_key}, raise_on_error=False,
    )


def test_a_budget_of_n_calls_makes_exactly_n_defers_and_resumes_when_the_window_reopens(db, sim):
    budget = 7
    register_sim_tenant(db, sim, "acme", **{"api_budget.daily_limit": str(budget)})
    instance = DagsterInstance.ephemeral()
    sim_requests_before = len(sim.org("acme").requests())

    first = sync(db, "acme", instance)
    assert first.success, "running out of budget is not a failure"
    assert ApiBudget(db, "acme", budget, system_clock).status().used == budget
    md = metadata_by_asset(first)
    deferred = sorted(name for name, m in md.items() if m.get("deferred"))
    assert deferred, "some objects must have been deferred"
    assert all(md[name]["api_calls_left"] == 0 for name in deferred)
    org_saw = len(sim.org("acme").requests()) - sim_requests_before
    assert org_saw <= budget  # the CRM never saw more than the budget (token calls are not org API calls)

    [deferral] = DeferralStore(db).open("acme")
    assert sorted(BY_NAME[o].asset for o in deferral.objects) == deferred
    assert deferral.resume_at > system_clock() + timedelta(hours=23)

    # Before the window reopens: nothing is launched, however often the sensor looks.
    assert evaluate_sensor(instance, db, 0) == []
    assert evaluate_sensor(instance, db, 12 * 3600) == []

    # After: one run per deferral, for the deferred objects only; then the data is complete.
    offset = DAY
    rounds = 0
    while DeferralStore(db).open("acme"):
        rounds += 1
        assert rounds < 6, "the resumed syncs must make progress"
        [request] = evaluate_sensor(instance, db, offset)
        assert request.partition_key == "acme" and request.run_key.startswith("deferral-")
        assert request.tags["crm_pipelines/tenant"] == "acme"
        result = run_request(instance, db, request, offset)
        assert result.success
        assert evaluate_sensor(instance, db, offset) == [] or DeferralStore(db).open("acme")
        offset += DAY
    assert_warehouse_equals_sim(db, "acme", sim.org("acme"))


def test_request_limit_exceeded_keeps_what_was_read_and_resumes_later(db, sim):
    # No reserve for other integrations: this is about the org itself answering REQUEST_LIMIT_EXCEEDED
    # (with the default reserve the sync would stop before, see test_org_reserve.py).
    register_sim_tenant(db, sim, "acme", **{"api_budget.org_reserve_percent": "0"})
    sim.org("acme").set_api_limit(4)
    instance = DagsterInstance.ephemeral()
    first = sync(db, "acme", instance)
    assert first.success
    [deferral] = DeferralStore(db).open("acme")
    assert "REQUEST_LIMIT_EXCEEDED" in deferral.reason
    assert evaluate_sensor(instance, db, 0) == []

    sim.org("acme").set_api_limit(100_000)
    sim.org("acme").reset_api_window()
    offset = 3600 + 60  # the org-limit backoff is an hour
    while DeferralStore(db).open("acme"):
        [request] = evaluate_sensor(instance, db, offset)
        assert run_request(instance, db, request, offset).success
        offset += 3600 + 60
    assert_warehouse_equals_sim(db, "acme", sim.org("acme"))


def test_a_long_retry_after_defers_instead_of_waiting(db, sim):
    register_sim_tenant(db, sim, "acme")
    instance = DagsterInstance.ephemeral()
    assert sync(db, "acme", instance, selection={"crm_users"}).success  # log in while the CRM is healthy
    sim.set_faults("429=7200x1", org="acme")
    result = sync(db, "acme", instance, selection={"crm_accounts"})
    assert result.success
    [deferral] = DeferralStore(db).open("acme")
    assert deferral.objects == ("Account",)
    assert "7200" in deferral.reason
    assert timedelta(hours=1, minutes=59) < deferral.resume_at - system_clock() <= timedelta(hours=2, minutes=1)
    assert evaluate_sensor(instance, db, 3600) == []
    [request] = evaluate_sensor(instance, db, 7300)
    assert run_request(instance, db, request, 7300).success
    assert DeferralStore(db).open("acme") == []


def test_the_sync_stops_early_when_the_org_itself_is_near_its_own_limit(db):
    """Other integrations share the org's quota. With 50% kept in reserve, an org limit of 14 and 4
    calls already spent by another integration, the sync reads /limits first, then
    Sforce-Limit-Info, makes no call that would leave the org under half, and defers the rest."""
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        register_sim_tenant(db, sim, "acme", **{"api_budget.org_reserve_percent": "50"})
        org = sim.org("acme")
        org.set_api_limit(14)
        other = sim.issue_token("acme")
        for _ in range(4):
            requests.get(f"{sim.base_url}/services/data/v60.0/limits/", headers={"Authorization": f"Bearer {other}"}).raise_for_status()
        contacts = len(org.rows("Contact", include_deleted=True))
        assert contacts > 4000, "needs at least three pages"

        result = sync(db, "acme", selection={"crm_contacts"})
        assert result.success
        [deferral] = DeferralStore(db).open("acme")
        assert deferral.objects == ("Contact",)
        assert "kept for its other integrations" in deferral.reason
        md = metadata_by_asset(result)["crm_contacts"]
        assert md["deferred"] is True
        # 4 calls by the other integration, then /limits (5 of 14), describe (6) and page 1 (7 of
        # 14: half left). Page 2 would take the org under half: it is never sent.
        assert md["records_read"] == 2000
        assert org.api_usage()["used"] == 7
        assert [r.endpoint for r in org.requests()][-3:] == ["limits", "describe", "queryAll"]
