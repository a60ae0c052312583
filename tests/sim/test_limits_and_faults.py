"""Daily API limits on a rolling 24-hour window, and faults by spec, reproducible by seed."""

from __future__ import annotations

import pytest
import requests

from crm_pipelines.sim.api_usage import ApiUsage
from crm_pipelines.sim.org_clock import MS_PER_DAY
from crm_pipelines.sim.faults import FaultInjector, FaultSpecError, parse_fault_spec
from crm_pipelines.sim.server import run_simulator
from tests.sim.conftest import SalesforceApi


# -- the rolling window, without HTTP -----------------------------------------------------------
def test_usage_counts_calls_of_the_last_24_hours_only():
    usage = ApiUsage(limit=10)
    for at in (0, 1_000, MS_PER_DAY - 1):
        assert usage.try_consume(at)
    assert usage.used(MS_PER_DAY - 1) == 3
    assert usage.used(MS_PER_DAY) == 2
    assert usage.used(MS_PER_DAY + 1_000) == 1


def test_usage_refuses_past_the_limit_without_counting():
    usage = ApiUsage(limit=2)
    assert [usage.try_consume(0) for _ in range(3)] == [True, True, False]
    assert usage.header(0) == "api-usage=2/2"


# -- limits over HTTP -----------------------------------------------------------------------------
def test_call_past_the_api_limit_is_403_request_limit_exceeded_and_usage_counts_right():
    with run_simulator(orgs=("acme",), api_limit=3) as sim:
        api = SalesforceApi(sim)
        usage = [api.get("limits").headers["Sforce-Limit-Info"] for _ in range(3)]
        refused = api.get("limits")
        assert usage == ["api-usage=1/3", "api-usage=2/3", "api-usage=3/3"]
        assert refused.status_code == 403
        assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert refused.headers["Sforce-Limit-Info"] == "api-usage=3/3"


def test_token_requests_and_the_versions_uri_do_not_count(sim):
    SalesforceApi(sim)
    requests.get(f"{sim.base_url}/services/data/")
    assert sim.org("acme").api_usage()["used"] == 0


def test_each_query_page_counts_one_call():
    with run_simulator(orgs=("acme",), scale="small") as sim:
        api = SalesforceApi(sim)
        records = api.query("SELECT Id FROM Account", batch_size=200)
        pages = -(-len(records) // 200)
        assert sim.org("acme").api_usage()["used"] == pages
        assert sim.org("acme").call_counts() == {"query": 1, "queryMore": pages - 1}


def test_advancing_the_clock_a_day_frees_the_window(sim, api, control):
    control.call("PUT", "/api-limit", {"limit": 2})
    api.get("limits"), api.get("limits")
    assert api.get("limits").status_code == 403
    control.call("POST", "/clock/advance", {"seconds": 3600})
    assert api.get("limits").status_code == 403
    control.call("POST", "/clock/advance", {"seconds": 23 * 3600})
    api.login()
    assert api.get("limits").headers["Sforce-Limit-Info"] == "api-usage=1/2"


def test_resetting_the_window_through_the_control_api(sim, api, control):
    control.call("PUT", "/api-limit", {"limit": 1})
    api.get("limits")
    assert api.get("limits").status_code == 403
    assert control.call("POST", "/api-usage/reset") == {"used": 0, "limit": 1}
    assert api.get("limits").status_code == 200


def test_limits_are_per_org(sim, control):
    control.call("PUT", "/api-limit", {"limit": 1})
    acme, globex = SalesforceApi(sim, "acme"), SalesforceApi(sim, "globex")
    acme.get("limits")
    assert acme.get("limits").status_code == 403
    assert globex.get("limits").status_code == 200


# -- fault specs ----------------------------------------------------------------------------------
def test_fault_spec_reads_kinds_arguments_probabilities_and_counts():
    rules = parse_fault_spec("429=5@0.1,500x3,delay=0.25@0.5,drop=before,truncate")
    assert [r.text() for r in rules] == ["429=5@0.1", "500x3", "delay=0.25@0.5", "drop=before@1", "truncate@1"]


@pytest.mark.parametrize("spec", ["404@0.1", "429@1.5", "500=3x1", "drop=sideways", "delay@"])
def test_bad_fault_spec_is_refused(spec):
    with pytest.raises(FaultSpecError):
        parse_fault_spec(spec)


def test_count_rules_fire_in_turn_and_only_when_they_take_effect():
    injector = FaultInjector("500x2,503x1", seed=1, org="acme")
    statuses = [getattr(injector.next_call(), "status", None) for _ in range(4)]
    assert statuses == [500, 500, 503, None]


def test_same_seed_gives_same_faults():
    def run(seed):
        injector = FaultInjector("500@0.3,429@0.2", seed=seed, org="acme")
        return [getattr(injector.next_call(), "status", None) for _ in range(200)]

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert 40 < run(1).count(500) < 80


def test_same_seed_gives_same_faults_over_http():
    def statuses(seed):
        with run_simulator(orgs=("acme",), seed=seed, faults="500@0.3,503@0.2") as sim:
            api = SalesforceApi(sim)
            return [api.get("limits").status_code for _ in range(30)]

    first = statuses(4)
    assert first == statuses(4)
    assert {500, 503, 200} <= set(first)


# -- faults over HTTP -------------------------------------------------------------------------
def test_429_carries_retry_after(sim, api, control):
    control.call("PUT", "/faults", {"spec": "429=7x1"})
    reply = api.get("limits")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "7"
    assert api.get("limits").status_code == 200


def test_500_and_503_answer_salesforce_error_bodies(sim, api):
    sim.set_faults("500x1,503x1", org="acme")
    assert api.get("limits").json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    reply = api.get("limits")
    assert reply.status_code == 503 and reply.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"


def test_dropped_connection_is_a_connection_error(sim, api):
    sim.set_faults("dropx1", org="acme")
    with pytest.raises(requests.ConnectionError):
        api.get("limits")
    assert api.get("limits").status_code == 200


def test_drop_after_handling_keeps_the_write(sim, api):
    sim.set_faults("drop=afterx1", org="acme")
    with pytest.raises(requests.ConnectionError):
        api.post("sobjects/Contact/", json={"LastName": "Written", "App_External_Id__c": "lost-answer"})
    assert sim.org("acme").external_id_counts("Contact") == {"lost-answer": {"records": 1, "writes": 1, "creates": 1}}


def test_drop_before_handling_loses_the_write(sim, api):
    sim.set_faults("drop=beforex1", org="acme")
    with pytest.raises(requests.ConnectionError):
        api.post("sobjects/Contact/", json={"LastName": "Unwritten", "App_External_Id__c": "never"})
    assert sim.org("acme").writes() == []


def test_truncated_body_is_invalid_json_with_matching_content_length(sim, api):
    sim.set_faults("truncatex1", org="acme")
    reply = api.get("limits")
    assert reply.status_code == 200
    assert int(reply.headers["Content-Length"]) == len(reply.content)
    with pytest.raises(requests.JSONDecodeError):
        reply.json()


def test_delay_holds_the_answer_back(sim, api):
    sim.set_faults("delay=0.3x1", org="acme")
    assert api.get("limits").elapsed.total_seconds() >= 0.3


def test_faulted_calls_count_against_the_limit(sim, api):
    sim.set_faults("500x2,dropx1", org="acme")
    api.get("limits"), api.get("limits")
    with pytest.raises(requests.ConnectionError):
        api.get("limits")
    assert sim.org("acme").api_usage()["used"] == 3
    assert [r.status for r in sim.org("acme").requests()] == [500, 500, 0]
