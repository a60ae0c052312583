"""P1 and P2: events and touches as Tasks, on hand-built app records."""

import pandas as pd

from crm_pipelines.core.outbound import event_tasks, touch_tasks, what_ids

AT = pd.Timestamp("2026-11-20 14:30", tz="UTC")
CRM_USERS = pd.Series({"u-1": "005000000000001AAA"})
OPPORTUNITY = "006000000000001AAA"


def _events(**overrides) -> pd.DataFrame:
    row = {"event_id": "ev-1", "prospect_id": "p-1", "user_id": "u-1", "kind": "email_opened",
           "object_type": "Opportunity", "object_id": "opp-1", "object_name": "Big renewal", "occurred_at": AT}
    row.update(overrides)
    return pd.DataFrame([row])


def _records() -> dict[str, pd.DataFrame]:
    return {"app_opportunities": pd.DataFrame({"opportunity_id": ["opp-1"], "crm_opportunity_id": [OPPORTUNITY]}),
            "companies": pd.DataFrame({"company_id": ["c-1"], "crm_account_id": ["001000000000001AAA"]}),
            "app_campaigns": pd.DataFrame({"campaign_id": [], "crm_campaign_id": []})}


def test_p1_an_event_becomes_one_task_with_subject_description_date_relation_and_owner():
    items = event_tasks(_events(), crm_user_of=CRM_USERS, app_records=_records(), show_activity_in_crm=True)
    assert len(items) == 1
    item = items.iloc[0]
    assert (item["sobject"], item["operation"], item["external_id"]) == ("Task", "upsert", "event:ev-1")
    assert item["who_prospect_id"] == "p-1"
    assert item["fields"] == {
        "Subject": "Email opened: Big renewal",
        "Description": "Logged by the app: Email opened on Opportunity Big renewal at 2026-11-20 14:30 UTC (app event ev-1).",
        "ActivityDate": "2026-11-20", "Status": "Completed", "Priority": "Normal", "Type": "Email",
        "WhatId": OPPORTUNITY, "OwnerId": "005000000000001AAA",
    }


def test_p1_an_event_on_no_object_by_an_unmatched_user_has_no_what_id_and_no_owner():
    events = _events(object_type=None, object_id=None, object_name=None, user_id="u-unmatched", kind="call_logged")
    fields = event_tasks(events, crm_user_of=CRM_USERS, app_records=_records(), show_activity_in_crm=True).iloc[0]["fields"]
    assert fields["Subject"] == "Call logged"
    assert fields["Type"] == "Call"
    assert "WhatId" not in fields and "OwnerId" not in fields


def test_p1_f4_8_off_logs_no_activity():
    assert event_tasks(_events(), crm_user_of=CRM_USERS, app_records=_records(), show_activity_in_crm=False).empty


def test_p1_an_event_without_a_prospect_has_nothing_to_be_logged_on():
    assert event_tasks(_events(prospect_id=None), crm_user_of=CRM_USERS, app_records=_records(),
                       show_activity_in_crm=True).empty


def test_what_ids_takes_the_app_records_crm_id_or_a_crm_id_of_the_right_object_and_nothing_else():
    types = pd.Series(["Opportunity", "Opportunity", "Account", "Opportunity", "Meeting"], dtype="string")
    ids = pd.Series(["opp-1", OPPORTUNITY[:-3] + "BBB", "c-1", "001000000000009AAA", "m-1"], dtype="string")
    assert what_ids(types, ids, _records()).tolist() == [
        OPPORTUNITY, OPPORTUNITY[:-3] + "BBB", "001000000000001AAA", pd.NA, pd.NA]


def _touches() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    touches = pd.DataFrame({
        "touch_id": ["m-1-t1", "m-1-t2", "m-1-t3"], "membership_id": ["m-1"] * 3, "prospect_id": ["p-1"] * 3,
        "user_id": ["u-1"] * 3, "touch_number": [1, 2, 3],
        "outcome": ["email_sent", "email_replied", "call_connected"], "occurred_at": [AT] * 3,
    })
    memberships = pd.DataFrame({"membership_id": ["m-1"], "cadence_id": ["cad-1"]})
    cadences = pd.DataFrame({"cadence_id": ["cad-1"], "name": ["Outbound intro"]})
    return touches, memberships, cadences


def test_p2_only_touches_with_a_selected_outcome_become_tasks():
    items = touch_tasks(*_touches(), outcomes={"email_replied", "call_connected"}, crm_user_of=CRM_USERS)
    assert items["external_id"].tolist() == ["touch:m-1-t2", "touch:m-1-t3"]
    reply = items.iloc[0]["fields"]
    assert reply["Subject"] == "Outbound intro, touch 2: Email replied"
    assert (reply["Type"], reply["OwnerId"], reply["Status"]) == ("Email", "005000000000001AAA", "Completed")
    assert items.iloc[1]["fields"]["Type"] == "Call"


def test_p2_no_outcome_selected_logs_no_touch():
    assert touch_tasks(*_touches(), outcomes=(), crm_user_of=CRM_USERS).empty
