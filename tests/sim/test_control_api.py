"""The control API: change data as a CRM user would, and read what clients wrote."""

from __future__ import annotations

import pytest
import requests

from crm_pipelines.sim.server import serving
from crm_pipelines.sim.simulator import Simulator


def _live(sim, sobject):
    return sim.org("acme").rows(sobject, include_deleted=False)


def test_list_orgs(sim):
    orgs = requests.get(f"{sim.base_url}/_sim/orgs").json()
    assert [o["name"] for o in orgs] == ["acme", "globex"]
    assert orgs[0]["orgId"] == sim.org("acme").org_id
    assert orgs[0]["records"]["Account"] == 40


def test_rows_include_deleted_records_with_every_field(sim, control):
    rows = control.call("GET", "/sobjects/Lead")
    assert len(rows) == len(sim.org("acme").rows("Lead"))
    assert any(r["IsDeleted"] for r in rows)
    assert set(rows[0]) == {"attributes"} | set(sim.org("acme").rows("Lead").columns)


def test_edit_any_field_bumps_last_modified_and_system_modstamp(sim, control):
    lead = _live(sim, "Lead").iloc[0]
    edited = control.call("PATCH", f"/sobjects/Lead/{lead['Id']}", {"Email": "NEW@Example.COM"})
    assert edited["Email"] == "NEW@Example.COM"
    record = sim.org("acme").record("Lead", lead["Id"])
    assert record["SystemModstamp"] > lead["SystemModstamp"]
    assert record["LastModifiedDate"] == record["SystemModstamp"]


def test_edit_can_pin_system_modstamp_to_share_it(sim, control):
    a, b = _live(sim, "Contact")["Id"].iloc[:2]
    control.call("PATCH", f"/sobjects/Contact/{a}", {"Title": "A", "SystemModstamp": "2026-06-01T12:30:00.000+0000"})
    control.call("PATCH", f"/sobjects/Contact/{b}", {"Title": "B", "SystemModstamp": "2026-06-01T12:30:00.000+0000"})
    org = sim.org("acme")
    assert org.record("Contact", a)["SystemModstamp"] == org.record("Contact", b)["SystemModstamp"]


def test_delete_and_undelete(sim, control):
    contact = _live(sim, "Contact")["Id"].iloc[0]
    assert control.call("DELETE", f"/sobjects/Contact/{contact}")["IsDeleted"] is True
    assert control.call("POST", f"/sobjects/Contact/{contact}/undelete")["IsDeleted"] is False


def test_merge_deletes_losers_with_master_record_id_and_moves_their_children(sim, control):
    org = sim.org("acme")
    master = org.create("Contact", {"LastName": "Master"})
    loser = org.create("Contact", {"LastName": "Loser"})
    task = org.create("Task", {"Subject": "Call", "WhoId": loser})
    control.call("POST", "/merge", {"sobject": "Contact", "masterId": master, "mergedIds": [loser]})
    merged = org.record("Contact", loser)
    assert merged["IsDeleted"] is True and merged["MasterRecordId"] == master
    assert org.record("Task", task)["WhoId"] == master


def test_change_owner(sim, control):
    org = sim.org("acme")
    account = _live(sim, "Account").iloc[0]
    new_owner = next(u for u in org.active_users()["Id"] if u != account["OwnerId"])
    assert control.call("POST", f"/sobjects/Account/{account['Id']}/owner", {"ownerId": new_owner})["OwnerId"] == new_owner


def test_convert_lead_creates_contact_account_and_opportunity(sim, control):
    org = sim.org("acme")
    lead = org.create("Lead", {"FirstName": "Grace", "LastName": "Hopper", "Company": "Navy",
                               "Email": "grace@navy.example"})
    ids = control.call("POST", f"/leads/{lead}/convert", {})
    converted = org.record("Lead", lead)
    assert converted["IsConverted"] is True and converted["Status"] == "Closed - Converted"
    assert (converted["ConvertedContactId"], converted["ConvertedAccountId"],
            converted["ConvertedOpportunityId"]) == (ids["contactId"], ids["accountId"], ids["opportunityId"])
    contact = org.record("Contact", ids["contactId"])
    assert (contact["Email"], contact["AccountId"]) == ("grace@navy.example", ids["accountId"])
    assert org.record("Account", ids["accountId"])["Name"] == "Navy"
    assert converted["ConvertedDate"] is not None


def test_convert_lead_into_an_existing_account_without_opportunity(sim, control):
    org = sim.org("acme")
    account = _live(sim, "Account")["Id"].iloc[0]
    lead = org.create("Lead", {"LastName": "Lamarr", "Company": "MGM"})
    ids = control.call("POST", f"/leads/{lead}/convert", {"accountId": account, "createOpportunity": False})
    assert ids["accountId"] == account and ids["opportunityId"] is None


def test_close_opportunity_won_and_lost(sim, control):
    open_ones = _live(sim, "Opportunity")
    open_ones = open_ones[~open_ones["IsClosed"]]
    won = control.call("POST", f"/opportunities/{open_ones['Id'].iloc[0]}/close", {"won": True})
    lost = control.call("POST", f"/opportunities/{open_ones['Id'].iloc[1]}/close", {"won": False})
    assert (won["StageName"], won["IsClosed"], won["IsWon"]) == ("Closed Won", True, True)
    assert (lost["StageName"], lost["IsClosed"], lost["IsWon"]) == ("Closed Lost", True, False)


def test_write_log_records_what_clients_sent(sim, api, control):
    api.post("sobjects/Contact/", json={"LastName": "Logged", "App_External_Id__c": "log-1"})
    api.post("sobjects/Contact/", json={"FirstName": "Refused"})
    control.call("PATCH", f"/sobjects/Contact/{_live(sim, 'Contact')['Id'].iloc[0]}", {"Title": "Not a client"})
    writes = control.call("GET", "/writes", params={"sobject": "Contact"})
    assert len(writes) == 1
    entry = writes[0]
    assert (entry["method"], entry["endpoint"], entry["operation"], entry["external_id"]) == \
        ("POST", "sobject.create", "create", "log-1")
    assert entry["fields"] == {"LastName": "Logged", "App_External_Id__c": "log-1"}


def test_external_id_counts_prove_exactly_once(sim, api, control):
    api.patch("sobjects/Contact/App_External_Id__c/once", json={"LastName": "Once"})
    api.patch("sobjects/Contact/App_External_Id__c/once", json={"Title": "Again"})
    api.post("sobjects/Contact/", json={"LastName": "Twice", "App_External_Id__c": "twice"})
    counts = control.call("GET", "/external-ids/Contact")
    assert counts == {"once": {"records": 1, "writes": 2, "creates": 1},
                      "twice": {"records": 1, "writes": 1, "creates": 1}}


def test_call_counts_per_endpoint(sim, api, control):
    api.get("limits"), api.get("limits"), api.get("query", params={"q": "SELECT Id FROM Account"})
    calls = control.call("GET", "/calls", params={"requests": "true"})
    assert calls["byEndpoint"] == {"limits": 2, "query": 1}
    assert [r["endpoint"] for r in calls["requests"]] == ["limits", "limits", "query"]


def test_faults_read_set_and_clear(sim, control):
    assert control.call("PUT", "/faults", {"spec": "500x2"})["rules"] == [{"rule": "500x2", "remaining": 2}]
    assert control.call("GET", "/faults")["spec"] == "500x2"
    assert control.call("DELETE", "/faults")["spec"] == ""


def test_bad_requests_name_what_was_wrong(sim):
    base = f"{sim.base_url}/_sim/orgs"
    unknown_org = requests.get(f"{base}/umbrella/writes")
    assert unknown_org.status_code == 404 and "umbrella" in unknown_org.json()["error"]
    bad_spec = requests.put(f"{base}/acme/faults", json={"spec": "404@1"})
    assert bad_spec.status_code == 400 and "404@1" in bad_spec.json()["error"]
    bad_field = requests.post(f"{base}/acme/sobjects/Lead", json={"Shoe__c": 1})
    assert bad_field.status_code == 400 and "Shoe__c" in bad_field.json()["error"]


def test_control_api_refuses_callers_off_loopback():
    simulator = Simulator.generated(("acme",))
    with serving(simulator, host="0.0.0.0"):
        outside = _non_loopback_address()
        if outside is None:
            pytest.skip("this machine has no address besides loopback")
        reply = requests.get(f"http://{outside}:{simulator.base_url.rsplit(':', 1)[1]}/_sim/orgs")
        assert reply.status_code == 403


def _non_loopback_address() -> str | None:
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address
