"""Writing one record a call, and what the Insightly adapter does with its limits and failures:
the tenant's budget, the daily allowance, the per-second rate, a refused key, server trouble."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.crm.errors import BudgetExhausted, CrmAuthError, CrmTransientError, OrgLimitExceeded
from crm_pipelines.sim.simulator import Simulator
from tests.crm.insightly.conftest import KEY_VARIABLE, NOW, ORG, adapter, number


def control(sim: Simulator, method: str, path: str, body: object = None) -> None:
    requests.request(method, f"{sim.base_url}/_sim/orgs/{ORG}{path}", json=body).raise_for_status()


def test_an_update_costs_one_call_per_record_and_reaches_the_org(sim: Simulator) -> None:
    org = sim.org(ORG)
    contacts = list(org.rows("Contact", include_deleted=False)["Id"].iloc[:3])
    crm = adapter(sim)
    results = [crm.write_batch("update", "Contact", [{"id": number(c), "Title": f"Title {n}", "Region__c": "EMEA"}])
               for n, c in enumerate(contacts)]
    assert crm.calls_sent == 3
    assert [r["success"] for results_of_one in results for r in results_of_one] == [True] * 3
    for n, contact in enumerate(contacts):
        assert (org.record("Contact", contact)["Title"], org.record("Contact", contact)["Region__c"]) == (f"Title {n}", "EMEA")


def test_an_upsert_by_the_apps_external_id_creates_once_then_updates_the_same_record(sim: Simulator) -> None:
    org = sim.org(ORG)
    crm = adapter(sim)
    lead = {"App_External_Id__c": "prospect-insightly-1", "LastName": "Hendricks", "Email": "richard@piedpiper.example",
            "Company": "Pied Piper", "Status": "Working - Contacted"}
    [created] = crm.write_batch("upsert", "Lead", [lead])
    assert created["success"] and created["created"]
    # Insightly has no upsert: the lookup by external id, then the create (after the lead status
    # and source lists, read once to name the Status sent).
    assert crm.calls_sent == 2 + 2
    [again] = crm.write_batch("upsert", "Lead", [{**lead, "Title": "CEO"}])
    assert again["success"] and not again["created"] and again["id"] == created["id"]
    assert org.external_id_counts("Lead")["prospect-insightly-1"]["records"] == 1
    rows = org.rows("Lead", include_deleted=False)
    row = rows[rows["App_External_Id__c"] == "prospect-insightly-1"].iloc[0]
    assert (number(row["Id"]), row["Title"], row["Status"]) == (created["id"], "CEO", "Working - Contacted")


def test_a_record_refused_by_insightly_or_unwritable_fails_alone(sim: Simulator) -> None:
    crm = adapter(sim)
    contact = number(sim.org(ORG).rows("Contact", include_deleted=False)["Id"].iloc[20])
    [refused] = crm.write_batch("update", "Contact", [{"id": contact, "Email": "not-an-email"}])
    assert not refused["success"] and refused["errors"][0]["statusCode"] == "BadRequest"
    assert crm.calls_sent == 1
    [unknown] = crm.write_batch("update", "Contact", [{"id": contact, "Department": "Sales"}])
    [campaign] = crm.write_batch("upsert", "Campaign", [{"App_External_Id__c": "c-1", "Name": "Spring"}])
    assert "take no field the pipeline calls Department" in unknown["errors"][0]["message"]
    assert campaign["errors"][0]["statusCode"] == "NOT_SUPPORTED" and "campaigns" in campaign["errors"][0]["message"]
    assert crm.calls_sent == 1  # neither was sent
    [fine, bad] = crm.write_batch("update", "Contact", [{"id": contact, "Title": "Fine"}, {"id": contact, "Email": "x"}])
    assert fine["success"] and not bad["success"]


def test_the_daily_allowance_answered_429_is_not_now_with_the_resume_time_it_gives(sim: Simulator) -> None:
    control(sim, "PUT", "/api-limit", {"limit": 3})
    control(sim, "POST", "/api-usage/reset")
    try:
        crm = adapter(sim)
        with pytest.raises(OrgLimitExceeded) as not_now:
            list(crm.read_changed(BY_NAME["Contact"], [], None))
        assert not_now.value.resume_at == NOW + timedelta(seconds=3600)  # the answer's Retry-After
        assert "daily Insightly API allowance is spent" in str(not_now.value)
        assert crm.calls_sent == 4 and crm.org_usage is not None and crm.org_usage.used == crm.org_usage.max == 3
    finally:
        control(sim, "PUT", "/api-limit", {"limit": 100_000})
        control(sim, "POST", "/api-usage/reset")


def test_past_the_per_second_rate_the_call_waits_as_asked_and_goes_through(sim: Simulator) -> None:
    rate = sim.second_rate(ORG)
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        rate.per_second = 1_000_000  # the second has passed

    rate.per_second = 0
    try:
        crm = adapter(sim, sleep=wait)
        assert crm.read_org_usage() is not None
    finally:
        rate.per_second = 1_000_000
    assert waits == [1.0] and crm.calls_sent == 2


def test_a_refused_api_key_is_an_auth_error_naming_its_variable_and_never_the_key(sim: Simulator) -> None:
    crm = adapter(sim, key="wrong-key-4f9a")
    with pytest.raises(CrmAuthError) as refused:
        crm.read_org_usage()
    assert KEY_VARIABLE in str(refused.value) and "wrong-key-4f9a" not in str(refused.value)
    assert "wrong-key-4f9a" not in repr(crm.client) and crm.calls_sent == 1  # not retried


def test_server_trouble_is_retried_and_past_the_attempts_is_a_transient_error(sim: Simulator) -> None:
    control(sim, "PUT", "/faults", {"spec": "503x2"})
    try:
        crm = adapter(sim)
        assert crm.read_org_usage() is not None and crm.calls_sent == 3
        control(sim, "PUT", "/faults", {"spec": "503x9"})
        crm = adapter(sim, max_attempts=3)
        with pytest.raises(CrmTransientError, match="HTTP 503"):
            crm.read_org_usage()
        assert crm.calls_sent == 3
    finally:
        control(sim, "DELETE", "/faults")


def test_every_call_asks_the_budget_first_and_an_exhausted_budget_mid_read_keeps_where_it_stood(sim: Simulator) -> None:
    allowed = 3
    asked = []

    def reserve_call() -> None:
        asked.append(1)
        if len(asked) > allowed:
            raise BudgetExhausted(ORG, "daily API budget used up", NOW + timedelta(hours=2))

    crm = adapter(sim, reserve_call=reserve_call)
    handed: list = []
    with pytest.raises(BudgetExhausted):
        for page in crm.read_changed(BY_NAME["Contact"], [], None):
            handed.append(page)
    assert crm.calls_sent == allowed and len(asked) == allowed + 1
    # The pages read before the budget ran out are handed over, each in no cursor order and with
    # where the read stands: the extraction keeps them and goes on from there in a later run.
    assert handed and not any(page.ordered for page in handed) and handed[-1].resume_from is not None


def test_a_create_whose_answer_was_lost_is_found_again_not_sent_twice(sim: Simulator) -> None:
    org = sim.org(ORG)
    calls: list[int] = []
    lose_answer_of_call: list[int] = []

    def lose_the_creates_answer() -> None:
        calls.append(1)
        if lose_answer_of_call and len(calls) == lose_answer_of_call[0]:
            org.set_faults("drop=afterx1")  # the create takes effect; its answer never comes

    crm = adapter(sim, reserve_call=lose_the_creates_answer)
    crm.write_batch("upsert", "Lead", [{"App_External_Id__c": "prospect-heard", "LastName": "Gilfoyle"}])
    before = crm.calls_sent
    lose_answer_of_call.append(len(calls) + 2)  # after the lookup that finds nothing
    try:
        [result] = crm.write_batch("upsert", "Lead", [{"App_External_Id__c": "prospect-lost-answer",
                                                       "LastName": "Bachman", "Company": "Aviato"}])
    finally:
        org.set_faults(None)
    assert result["success"] and result["created"]
    assert org.external_id_counts("Lead")["prospect-lost-answer"]["records"] == 1
    assert crm.calls_sent - before == 4  # lookup, the create unheard, lookup finding it, update


def test_a_dropped_connection_or_a_cut_answer_is_read_again(sim: Simulator) -> None:
    org = sim.org(ORG)
    org.set_faults("drop=beforex1,truncatex1")
    try:
        crm = adapter(sim)
        users = [r for page in crm.read_changed(BY_NAME["User"], [], None) for r in page.records]
    finally:
        org.set_faults(None)
    assert sorted(u["Id"] for u in users) == sorted(number(i) for i in org.rows("User")["Id"])
    assert crm.calls_sent == 3


def test_the_orgs_reserve_for_its_other_integrations_holds_calls_back(sim: Simulator) -> None:
    from crm_pipelines.crm.errors import OrgNearLimit
    from crm_pipelines.crm.port import OrgUsage

    crm = adapter(sim)
    crm.client.org_reserve_percent = 10
    crm.assume_org_usage(OrgUsage(used=95_000, max=100_000))  # as an earlier asset of the run read it
    assert crm.org_usage == OrgUsage(95_000, 100_000)
    with pytest.raises(OrgNearLimit, match="kept for its other integrations"):
        crm.read_org_usage()
    assert crm.calls_sent == 0
