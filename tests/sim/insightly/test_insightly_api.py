"""Insightly's API v3.1 as the simulator serves it, through a client written from the public
reference, checked against the org's own tables."""

from __future__ import annotations

import re

import pandas as pd
import requests

from crm_pipelines.sim.insightly.integer_ids import integer_id
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.simulator import Simulator
from tests.sim.insightly.conftest import ORG, InsightlyClient, control

INSIGHTLY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def live_ids(sim: Simulator, object_name: str) -> list[int]:
    rows = sim.org(ORG).rows(object_name, include_deleted=False)
    return sorted(integer_id(i) for i in rows["Id"])


def org_row(sim: Simulator, object_name: str, number: int) -> pd.Series:
    """The org's own row behind Insightly id `number`."""
    rows = sim.org(ORG).rows(object_name)
    return rows[[integer_id(i) == number for i in rows["Id"]]].iloc[0]


def test_the_api_key_opens_the_org_and_a_wrong_key_is_401(sim: Simulator, insightly: InsightlyClient) -> None:
    assert insightly.get("Users").status_code == 200
    for key in ("hoolii", "acme", ""):
        assert InsightlyClient(sim.base_url, key).get("Users").status_code == 401
    assert requests.get(f"{sim.base_url}/v3.1/Users").status_code == 401
    # The Insightly org has an API key, not a Salesforce connected app.
    token = requests.post(f"{sim.base_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": ORG, "client_secret": f"{ORG}-secret"})
    assert token.status_code == 400


def test_paging_with_skip_and_top_returns_each_of_the_orgs_records_once(
        sim: Simulator, insightly: InsightlyClient) -> None:
    contacts, total = insightly.all_pages("Contacts", top=40)
    expected = live_ids(sim, "Contact")
    assert total == len(expected)
    assert [c["CONTACT_ID"] for c in contacts] == expected
    assert len(insightly.get("Contacts", top=7, skip=3).json()) == 7
    assert insightly.get("Contacts", top=501).status_code == 400
    organisations, total = insightly.all_pages("Organisations")
    assert total == len(live_ids(sim, "Account")) == len(organisations)


def test_records_read_as_the_reference_shows_them(sim: Simulator, insightly: InsightlyClient) -> None:
    contact = insightly.get("Contacts", top=1).json()[0]
    row = org_row(sim, "Contact", contact["CONTACT_ID"])
    assert contact["LAST_NAME"] == row["LastName"] and contact["EMAIL_ADDRESS"] == row["Email"]
    assert INSIGHTLY_TIME.match(contact["DATE_UPDATED_UTC"])
    assert contact["DATE_UPDATED_UTC"] == pd.Timestamp(row["SystemModstamp"]).strftime("%Y-%m-%d %H:%M:%S")
    assert {"CUSTOMFIELDS", "LINKS"} <= set(contact)
    brief = insightly.get("Contacts", top=1, brief="true").json()[0]
    assert "CUSTOMFIELDS" not in brief and "LINKS" not in brief
    assert brief["CONTACT_ID"] == contact["CONTACT_ID"]


def test_search_by_updated_after_utc_finds_an_edit_made_through_the_control_api(
        sim: Simulator, insightly: InsightlyClient) -> None:
    control(sim, "POST", "/clock/advance", {"seconds": 3600})
    before = pd.Timestamp(control(sim, "GET", "/clock")["now"])
    edited = str(sim.org(ORG).rows("Contact", include_deleted=False)["Id"].iloc[5])
    control(sim, "PATCH", f"/sobjects/Contact/{edited}", {"Title": "Head of Search"})
    found, total = insightly.all_pages("Contacts/Search",
                                       updated_after_utc=before.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert total == 1 and [c["CONTACT_ID"] for c in found] == [integer_id(edited)]
    assert found[0]["TITLE"] == "Head of Search"
    stamp = pd.Timestamp(sim.org(ORG).record("Contact", edited)["SystemModstamp"])
    assert found[0]["DATE_UPDATED_UTC"] == stamp.strftime("%Y-%m-%d %H:%M:%S")
    by_email = insightly.get("Contacts/Search", field_name="EMAIL_ADDRESS",
                             field_value=str(sim.org(ORG).record("Contact", edited)["Email"]).upper()).json()
    assert integer_id(edited) in [c["CONTACT_ID"] for c in by_email]


def test_one_record_create_update_and_delete_reach_the_orgs_tables_and_write_log(
        sim: Simulator, insightly: InsightlyClient) -> None:
    org = sim.org(ORG)
    account = str(org.rows("Account", include_deleted=False)["Id"].iloc[0])
    created = insightly.post("Contacts", {
        "FIRST_NAME": "Dana", "LAST_NAME": "Scully", "EMAIL_ADDRESS": "dana@fbi.example",
        "ORGANISATION_ID": integer_id(account),
        "CUSTOMFIELDS": [{"FIELD_NAME": "Region__c", "FIELD_VALUE": "AMER"}]})
    assert created.status_code == 200, created.text
    number = created.json()["CONTACT_ID"]
    row = org_row(sim, "Contact", number)
    assert (row["LastName"], row["Email"], row["AccountId"], row["Region__c"]) == \
        ("Scully", "dana@fbi.example", account, "AMER")

    updated = insightly.put("Contacts", {"CONTACT_ID": number, "TITLE": "Special Agent"})
    assert updated.status_code == 200 and updated.json()["TITLE"] == "Special Agent"
    assert org.record("Contact", row["Id"])["Title"] == "Special Agent"

    assert insightly.delete(f"Contacts/{number}").status_code == 202
    assert insightly.get(f"Contacts/{number}").status_code == 404
    assert number not in live_ids(sim, "Contact")
    writes = [w for w in control(sim, "GET", "/writes") if w["id"] == row["Id"]]
    assert [w["operation"] for w in writes] == ["create", "update", "delete"]
    assert writes[1]["fields"] == {"Title": "Special Agent"}


def test_a_write_the_org_refuses_is_400_and_changes_nothing(sim: Simulator, insightly: InsightlyClient) -> None:
    before = len(sim.org(ORG).rows("Contact"))
    refused = insightly.post("Contacts", {"FIRST_NAME": "No", "EMAIL_ADDRESS": "not-an-email"})
    assert refused.status_code == 400
    assert len(sim.org(ORG).rows("Contact")) == before


def test_converted_leads_carry_their_contact_organisation_and_opportunity(
        sim: Simulator, insightly: InsightlyClient) -> None:
    leads = sim.org(ORG).rows("Lead", include_deleted=False)
    lead = str(leads[~leads["IsConverted"].astype(bool)]["Id"].iloc[0])
    control(sim, "POST", f"/leads/{lead}/convert", {})
    converted = sim.org(ORG).record("Lead", lead)
    seen = insightly.get(f"Leads/{integer_id(lead)}").json()
    assert seen["CONVERTED"] is True
    assert seen["CONVERTED_CONTACT_ID"] == integer_id(converted["ConvertedContactId"])
    assert seen["CONVERTED_ORGANISATION_ID"] == integer_id(converted["ConvertedAccountId"])
    assert seen["CONVERTED_OPPORTUNITY_ID"] == integer_id(converted["ConvertedOpportunityId"])
    assert insightly.get(f"Contacts/{seen['CONVERTED_CONTACT_ID']}").status_code == 200
    assert insightly.get(f"Opportunities/{seen['CONVERTED_OPPORTUNITY_ID']}").status_code == 200


def test_custom_fields_have_definitions_and_travel_as_name_value_pairs(
        sim: Simulator, insightly: InsightlyClient) -> None:
    definitions = insightly.get("CustomFields/Leads").json()
    assert sorted(d["FIELD_NAME"] for d in definitions) == \
        sorted(f.name for f in sobject("Lead").fields if f.custom)
    persona = next(d for d in definitions if d["FIELD_NAME"] == "Persona__c")
    assert persona["FIELD_TYPE"] == "DROPDOWN" and persona["CUSTOM_FIELD_OPTIONS"]
    lead = str(sim.org(ORG).rows("Lead", include_deleted=False).query("~IsConverted")["Id"].iloc[-1])
    choice = persona["CUSTOM_FIELD_OPTIONS"][0]["OPTION_VALUE"]
    reply = insightly.put("Leads", {"LEAD_ID": integer_id(lead),
                                    "CUSTOMFIELDS": [{"FIELD_NAME": "Persona__c", "FIELD_VALUE": choice}]})
    assert reply.status_code == 200, reply.text
    assert {"FIELD_NAME": "Persona__c", "FIELD_VALUE": choice} in reply.json()["CUSTOMFIELDS"]
    assert sim.org(ORG).record("Lead", lead)["Persona__c"] == choice
    unknown = insightly.put("Leads", {"LEAD_ID": integer_id(lead),
                                      "CUSTOMFIELDS": [{"FIELD_NAME": "Shoe_Size__c", "FIELD_VALUE": 9}]})
    assert unknown.status_code == 400


def test_opportunities_sit_in_a_pipeline_stage_and_close_by_state(sim: Simulator, insightly: InsightlyClient) -> None:
    stages = insightly.get("PipelineStages").json()
    pipelines = insightly.get("Pipelines").json()
    assert {s["PIPELINE_ID"] for s in stages} == {p["PIPELINE_ID"] for p in pipelines}
    opportunities = sim.org(ORG).rows("Opportunity", include_deleted=False)
    open_one = str(opportunities[~opportunities["IsClosed"].astype(bool)]["Id"].iloc[0])
    seen = insightly.get(f"Opportunities/{integer_id(open_one)}").json()
    stage_name = sim.org(ORG).record("Opportunity", open_one)["StageName"]
    assert seen["OPPORTUNITY_STATE"] == "OPEN"
    assert next(s["STAGE_NAME"] for s in stages if s["STAGE_ID"] == seen["STAGE_ID"]) == stage_name
    won = insightly.put("Opportunities", {"OPPORTUNITY_ID": seen["OPPORTUNITY_ID"], "OPPORTUNITY_STATE": "WON"})
    assert won.status_code == 200 and won.json()["OPPORTUNITY_STATE"] == "WON"
    assert sim.org(ORG).record("Opportunity", open_one)["IsWon"]
    users, total = insightly.all_pages("Users")
    assert total == len(live_ids(sim, "User")) and all("EMAIL_ADDRESS" in u for u in users)


def test_rate_limit_headers_count_down_and_the_answer_is_429_past_the_allowance(
        sim: Simulator, insightly: InsightlyClient) -> None:
    control(sim, "PUT", "/api-limit", {"limit": 5})
    control(sim, "POST", "/api-usage/reset")
    try:
        answers = [insightly.get("Users", top=1) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"5"}
        assert [int(a.headers["X-RateLimit-Remaining"]) for a in answers] == [4, 3, 2, 1, 0, 0]
        assert sim.org(ORG).api_usage()["used"] == 5
    finally:
        control(sim, "PUT", "/api-limit", {"limit": 100_000})
        control(sim, "POST", "/api-usage/reset")


def test_past_the_per_second_rate_the_answer_is_429_and_not_counted(
        sim: Simulator, insightly: InsightlyClient) -> None:
    rate = sim.second_rate(ORG)
    used = sim.org(ORG).api_usage()["used"]
    rate.per_second = 0
    try:
        refused = insightly.get("Users")
    finally:
        rate.per_second = 1_000_000
    assert refused.status_code == 429 and "X-RateLimit-Remaining" in refused.headers
    assert sim.org(ORG).api_usage()["used"] == used


def test_the_orgs_faults_apply_to_its_insightly_calls(sim: Simulator, insightly: InsightlyClient) -> None:
    control(sim, "PUT", "/faults", {"spec": "503x1"})
    try:
        assert insightly.get("Users").status_code == 503
        assert insightly.get("Users").status_code == 200
    finally:
        control(sim, "DELETE", "/faults")


def test_the_orgs_list_shows_each_orgs_dialect(sim: Simulator) -> None:
    listed = {o["name"]: o["dialect"] for o in requests.get(f"{sim.base_url}/_sim/orgs").json()}
    assert listed == {"acme": "salesforce", ORG: "insightly"}
