"""The org's daily quota is shared with its other integrations (S1): every run reads the org's usage
first (/limits), then every answer's Sforce-Limit-Info, and stops before it would take the org
below the reserve the tenant keeps for the others (20% by default), deferring like the budget."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.deferrals import DeferralStore
from tests.assets.test_deferral import evaluate_sensor, run_request
from tests.assets.test_outbound_push import control, crm_sync, push, seeded
from tests.assets.test_outbound_push_resilience import assert_crm_and_ledger_agree_once_per_event, many_events
from tests.sim_tenants import assert_warehouse_equals_sim, metadata_by_asset, register_sim_tenant, run_job, sync

RESERVE = 0.20  # the default api_budget.org_reserve_percent
AN_HOUR_AND_A_BIT = 3600 + 60  # the org-limit backoff is an hour
DAY = 86400 + 120


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as sim:
        yield sim


def others_use_the_org_until(sim, calls_left_above_reserve: int) -> None:
    """Another integration's calls (control API) leave the org `calls_left_above_reserve` calls
    above the reserve."""
    usage = control(sim, "acme", "GET", "/calls")["apiUsage"]
    target = int(usage["limit"] * (1 - RESERVE)) - calls_left_above_reserve
    control(sim, "acme", "POST", "/api-usage/others", json={"calls": target - usage["used"]})


def endpoints_since(sim, start: int) -> list[str]:
    return [r.endpoint for r in sim.org("acme").requests()[start:]]


def test_a_push_sends_what_fits_above_the_org_reserve_defers_and_resumes_when_the_window_reopens(sqlite_db, sim):
    db = sqlite_db
    seeded(db, sim, **{"push.activity_touch_outcomes": "", "push.app_to_crm": "false"})
    instance = DagsterInstance.ephemeral()
    crm_sync(db, "acme", instance)
    events = many_events(db, "acme", 2500)  # three calls: 1,000 Tasks, 1,000 and 500
    # /limits, then two calls fit above the reserve.
    others_use_the_org_until(sim, 3)
    start = len(sim.org("acme").requests())

    first = push(db, "acme", instance)
    assert first.success, "the org's reserve is not a failure"
    assert endpoints_since(sim, start) == ["limits", "composite", "composite"]
    md = metadata_by_asset(first)["crm_push_results"]
    assert (md["sent"], md["deferred"]) == (2000, True)
    usage = sim.org("acme").api_usage()
    assert usage["used"] <= usage["limit"] * (1 - RESERVE), "the push took the org into the reserve"
    [deferral] = DeferralStore(db).open("acme", job="outbound_push")
    for words in (f"{usage['limit'] - usage['used']} of its {usage['limit']} daily API calls left",
                  f"the last {int(usage['limit'] * RESERVE)} (20%"):
        assert words in deferral.reason and words in md["deferred_reason"]

    # The other integration's calls leave the 24-hour window; the sensor resumes the push after
    # the deferral's time, never before.
    assert evaluate_sensor(instance, db, 0) == []
    sim.org("acme").advance_clock(DAY)
    [request] = evaluate_sensor(instance, db, AN_HOUR_AND_A_BIT)
    start = len(sim.org("acme").requests())
    assert (request.job_name, request.run_key) == ("outbound_push", f"deferral-{deferral.id}")
    resumed = run_job(db, request.job_name, "acme", instance, clock_offset_seconds=AN_HOUR_AND_A_BIT,
                      tags={**request.tags, "dagster/run_key": request.run_key})
    assert resumed.success
    assert endpoints_since(sim, start)[0] == "limits"
    assert DeferralStore(db).open("acme", job="outbound_push") == []
    assert_crm_and_ledger_agree_once_per_event(db, sim, events)


def test_an_extraction_stops_above_the_org_reserve_defers_and_resumes_when_the_window_reopens(db, sim):
    org = sim.org("acme")
    register_sim_tenant(db, sim, "acme")
    instance = DagsterInstance.ephemeral()
    assert sync(db, "acme", instance).success
    org.advance_clock(3600)
    org.edit("Contact", org.rows("Contact", include_deleted=False)["Id"].iloc[0], {"Title": "Edited"})
    others_use_the_org_until(sim, 4)
    start = len(org.requests())

    result = sync(db, "acme", instance)
    assert result.success
    seen = endpoints_since(sim, start)
    assert seen[0] == "limits" and seen.count("limits") == 1, seen
    assert len(seen) == 4, "exactly the calls above the reserve were made"
    usage = org.api_usage()
    assert usage["used"] <= usage["limit"] * (1 - RESERVE)
    [deferral] = DeferralStore(db).open("acme")
    assert "kept for its other integrations" in deferral.reason
    md = metadata_by_asset(result)
    deferred = sorted(name for name, m in md.items() if m.get("deferred"))
    assert sorted(BY_NAME[o].asset for o in deferral.objects) == deferred
    assert all("daily API calls left" in md[name]["deferred_reason"] for name in deferred)

    assert evaluate_sensor(instance, db, 0) == []
    org.advance_clock(DAY)
    offset = AN_HOUR_AND_A_BIT
    while DeferralStore(db).open("acme"):
        [request] = evaluate_sensor(instance, db, offset)
        start = len(org.requests())
        assert run_request(instance, db, request, offset).success
        assert endpoints_since(sim, start)[0] == "limits"
        offset += AN_HOUR_AND_A_BIT
    assert_warehouse_equals_sim(db, "acme", org)
    edited = pd.Series(org.rows("Contact")["Title"]).eq("Edited").sum()
    assert edited == 1
