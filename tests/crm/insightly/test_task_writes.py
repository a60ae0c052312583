"""The app's activity as Insightly tasks (P1, P2): linked to their contact or lead, upserted by the
app's external id, at the cost the port states."""

from __future__ import annotations

from crm_pipelines.sim.simulator import Simulator
from tests.crm.insightly.conftest import ORG, adapter, number

TASK = {"Subject": "Email replied", "Description": "Logged by the app", "ActivityDate": "2026-05-30",
        "Status": "Completed", "Priority": "Normal", "Type": "Email"}


def _row(sim: Simulator, external_id: str):
    rows = sim.org(ORG).rows("Task", include_deleted=False)
    return rows[rows["App_External_Id__c"] == external_id].iloc[0]


def test_a_task_is_linked_to_its_contact_or_lead_by_object_name_and_id(sim: Simulator) -> None:
    org = sim.org(ORG)
    contact = str(org.rows("Contact", include_deleted=False)["Id"].iloc[0])
    lead = str(org.rows("Lead", include_deleted=False)["Id"].iloc[0])
    crm = adapter(sim)
    results = crm.write_batch("upsert", "Task", [
        {**TASK, "App_External_Id__c": "event:task-contact", "WhoId": number(contact), "WhoType": "Contact"}])
    results += crm.write_batch("upsert", "Task", [
        {**TASK, "App_External_Id__c": "event:task-lead", "WhoId": number(lead), "WhoType": "Lead"}])
    assert [r["success"] for r in results] == [True, True], results
    on_contact, on_lead = _row(sim, "event:task-contact"), _row(sim, "event:task-lead")
    # Insightly's numbers of a Lead and a Contact may be the same: the object name tells them apart.
    assert (on_contact["WhoId"], on_lead["WhoId"]) == (contact, lead)
    assert (on_contact["Subject"], on_contact["Status"], on_contact["Priority"]) == ("Email replied", "Completed",
                                                                                     "Normal")
    assert str(on_contact["ActivityDate"])[:10] == "2026-05-30"
    assert crm.calls_sent == 2 * crm.write_calls("upsert", "Task", 1) == 4


def test_an_upserted_task_is_updated_not_created_again(sim: Simulator) -> None:
    contact = str(sim.org(ORG).rows("Contact", include_deleted=False)["Id"].iloc[1])
    record = {**TASK, "App_External_Id__c": "touch:again", "WhoId": number(contact), "WhoType": "Contact"}
    crm = adapter(sim)
    [first] = crm.write_batch("upsert", "Task", [record])
    [second] = crm.write_batch("upsert", "Task", [{**record, "Subject": "Call connected"}])
    assert first["created"] and not second["created"] and first["id"] == second["id"]
    assert sim.org(ORG).external_id_counts("Task")["touch:again"]["records"] == 1
    assert _row(sim, "touch:again")["Subject"] == "Call connected"


def test_a_task_whose_target_does_not_say_its_object_fails_alone_before_any_call(sim: Simulator) -> None:
    crm = adapter(sim)
    [refused] = crm.write_batch("upsert", "Task", [{**TASK, "App_External_Id__c": "event:x", "WhoId": "12"}])
    assert not refused["success"] and refused["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert "WhoType" in refused["errors"][0]["message"]
    assert crm.calls_sent == 0


def test_the_write_cost_is_two_calls_a_record_for_an_upsert_and_one_for_an_update(sim: Simulator) -> None:
    crm = adapter(sim)
    assert (crm.write_calls("upsert", "Task", 1), crm.write_calls("update", "Contact", 1)) == (2, 1)
    # A Lead's status and source are named through Insightly's lists, read before the first write.
    assert crm.write_calls("upsert", "Lead", 3) == 2 + 6
    [written] = crm.write_batch("upsert", "Lead", [{"App_External_Id__c": "cost-1", "LastName": "Bighetti",
                                                    "Company": "Bachmanity"}])
    assert written["success"] and crm.calls_sent == 2 + 2
    assert crm.write_calls("upsert", "Lead", 3) == 6
    assert crm.links_task_by_type is True
