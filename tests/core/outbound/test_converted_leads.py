"""X5 in the pushes: a converted Lead is never a push target; what was meant for it goes to its
Contact, or waits when that Contact is not known yet."""

import pandas as pd

from crm_pipelines.core.outbound import (
    contact_push_items,
    converted_leads,
    field_update_items,
    items_frame,
    resolve_task_targets,
    without_converted_leads,
)
from crm_pipelines.settings import ConnectorSettings, FieldMapping
from tests.core.matching.crm_fixtures import leads

AT = pd.Timestamp("2026-11-20", tz="UTC")
LIVE_LEAD, CONVERTED, CONVERTED_NOWHERE = "00Q000000000001AAA", "00Q000000000002AAA", "00Q000000000003AAA"
CONTACT = "003000000000002AAA"
CRM_LEADS = leads(
    {"id": LIVE_LEAD},
    {"id": CONVERTED, "is_converted": True, "converted_contact_id": CONTACT},
    {"id": CONVERTED_NOWHERE, "is_converted": True},
)
MAPPINGS = (
    FieldMapping(crm_object="Lead", crm_field="Company", app_field="company", direction="two_way"),
    FieldMapping(crm_object="Lead", crm_field="Title", app_field="title", direction="two_way"),
    FieldMapping(crm_object="Contact", crm_field="Title", app_field="title", direction="two_way"),
    FieldMapping(crm_object="Contact", crm_field="Lead_Score__c", app_field="lead_score", direction="push"),
)


def _prospects() -> pd.DataFrame:
    ids = ["p-live", "p-converted", "p-nowhere"]
    return pd.DataFrame({
        "prospect_id": ids, "crm_id": [LIVE_LEAD, CONVERTED, CONVERTED_NOWHERE], "crm_type": ["Lead"] * 3,
        "email": ["a@x.test"] * 3, "first_name": ["A"] * 3, "last_name": ["Ay"] * 3, "title": ["VP"] * 3,
        "company": ["X"] * 3, "lead_score": [90.0] * 3, "owner_user_id": ["u-1"] * 3, "is_deleted": [False] * 3,
        "created_at": [AT] * 3, "updated_at": [AT] * 3,
    })


def test_the_converted_leads_of_the_warehouse_point_at_their_contacts():
    converted = converted_leads(CRM_LEADS)
    assert {lead: None if pd.isna(contact) else contact for lead, contact in converted.items()} == {
        CONVERTED: CONTACT, CONVERTED_NOWHERE: None}


def test_a_contact_push_of_a_prospect_still_on_its_converted_lead_updates_the_contact_with_contact_fields():
    requests = pd.DataFrame({"request_id": ["r1", "r2", "r3"], "prospect_id": ["p-live", "p-converted", "p-nowhere"],
                             "requested_by": "u-1", "requested_at": AT, "status": "pending"})
    todos = pd.DataFrame(columns=["todo_id", "prospect_id", "assignee_user_id", "created_at", "pushed_at"])
    items = contact_push_items(
        _prospects(), requests, todos, pd.DataFrame({"prospect_id": pd.Series(dtype="string")}),
        crm_user_of=pd.Series(dtype="string"), mappings=MAPPINGS, settings=ConnectorSettings(),
        crossings=pd.DataFrame({"prospect_id": pd.Series(dtype="string"),
                                "crossed_at": pd.Series(dtype="datetime64[ns, UTC]")}),
        # The field sync pairs the prospect with the Contact (matching follows the conversion), and
        # found its Title changed in the app.
        changes=pd.DataFrame({"object": ["prospect"], "app_id": ["p-converted"], "crm_id": [CONTACT],
                              "crm_field": ["Title"]}),
        converted=converted_leads(CRM_LEADS),
    ).set_index("app_id")
    # p-live has no field the app changed and no push mapping of a Lead: nothing to send, answered.
    assert (items.loc["p-live", "sobject"], items.loc["p-live", "operation"]) == ("Lead", "skip")
    moved = items.loc["p-converted"]
    assert (moved["sobject"], moved["operation"], moved["crm_id"]) == ("Contact", "update", CONTACT)
    assert moved["fields"] == {"Title": "VP", "Lead_Score__c": 90}
    waiting = items.loc["p-nowhere"]
    assert (waiting["operation"], waiting["crm_id"]) == ("skip", CONVERTED_NOWHERE)
    assert "converted" in waiting["note"]


def test_a_task_of_a_prospect_still_on_its_converted_lead_is_logged_on_the_contact():
    tasks = items_frame(kind="activity", sobject="Task", operation="upsert", external_id=["event:e1", "event:e2", "event:e3"],
                        crm_id=None, app_object="event", app_id=["e1", "e2", "e3"],
                        who_prospect_id=["p-live", "p-converted", "p-nowhere"], fields=[{"Subject": "S"}] * 3,
                        triggers=None, forced=False)
    ready, waiting = resolve_task_targets(tasks, _prospects(), converted_leads(CRM_LEADS))
    assert dict(zip(ready["app_id"], [f["WhoId"] for f in ready["fields"]], strict=True)) == {
        "e1": LIVE_LEAD, "e2": CONTACT}
    assert waiting["app_id"].tolist() == ["e3"]


def test_field_updates_and_lead_scores_planned_for_a_converted_lead_are_not_sent_to_it():
    changes = pd.DataFrame([
        {"object": "prospect", "app_id": "p-converted", "crm_type": "Lead", "crm_id": CONVERTED, "field": "title",
         "crm_field": "Title", "field_type": "string", "old_value": "Engineer", "new_value": "CTO", "reason": "app_newer"},
        {"object": "prospect", "app_id": "p-live", "crm_type": "Lead", "crm_id": LIVE_LEAD, "field": "title",
         "crm_field": "Title", "field_type": "string", "old_value": "Engineer", "new_value": "CTO", "reason": "app_newer"},
    ]).astype("string")
    items = without_converted_leads(field_update_items(changes, lead_score=False), converted_leads(CRM_LEADS))
    by_app = items.set_index("app_id")
    assert by_app.loc["p-live", "operation"] == "update"
    assert by_app.loc["p-converted", "operation"] == "skip"
    assert CONTACT in by_app.loc["p-converted", "note"]


def test_with_type_a_task_says_whether_its_target_is_a_lead_or_the_contact_it_became():
    # A CRM whose ids do not say their object (Insightly) links a task by object name and id.
    tasks = items_frame(kind="activity", sobject="Task", operation="upsert", external_id=["event:e1", "event:e2"],
                        crm_id=None, app_object="event", app_id=["e1", "e2"],
                        who_prospect_id=["p-live", "p-converted"], fields=[{"Subject": "S"}] * 2,
                        triggers=None, forced=False)
    ready, _ = resolve_task_targets(tasks, _prospects(), converted_leads(CRM_LEADS), with_type=True)
    assert {a: (f["WhoId"], f["WhoType"]) for a, f in zip(ready["app_id"], ready["fields"], strict=True)} == {
        "e1": (LIVE_LEAD, "Lead"), "e2": (CONTACT, "Contact")}
    plain, _ = resolve_task_targets(tasks, _prospects(), converted_leads(CRM_LEADS))
    assert all("WhoType" not in f for f in plain["fields"])
