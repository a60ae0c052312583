"""P8: batches, request bodies and what each CRM answer means."""

import pandas as pd

from crm_pipelines.core.outbound import (
    batch_outcome,
    batches,
    due_items,
    items_frame,
    request_records,
    resolve_task_targets,
    unpushable_requests,
    unpushable_todos,
)
from crm_pipelines.core.outbound.contact_pushes import NOT_ELIGIBLE, NOTHING_TO_SEND

AT = pd.Timestamp("2026-11-20 10:00", tz="UTC")
NONE = pd.DataFrame(columns=["sobject", "external_id", "state", "attempts", "sent_fields", "attempted_fields"])


def _tasks(n: int) -> pd.DataFrame:
    return items_frame(kind="activity", sobject="Task", operation="upsert",
                       external_id=[f"event:ev-{i}" for i in range(n)], crm_id=None, app_object="event",
                       app_id=[f"ev-{i}" for i in range(n)], who_prospect_id=[f"p-{i % 2}" for i in range(n)],
                       fields=[{"Subject": f"S{i}"} for i in range(n)], triggers=None, forced=False)


def test_batches_hold_at_most_200_records_of_one_sobject_and_operation():
    items = pd.concat([_tasks(450), items_frame(kind="field_update", sobject="Lead", operation="update",
                                                external_id=["prospect:p-1"], crm_id="00Q000000000001AAA",
                                                app_object="prospect", app_id="p-1", fields=[{"Title": "x"}])],
                      ignore_index=True)
    sizes = [(b["sobject"].iloc[0], len(b)) for b in batches(items)]
    assert sizes == [("Task", 200), ("Task", 200), ("Task", 50), ("Lead", 1)]


def test_a_record_id_never_appears_twice_in_one_call():
    items = items_frame(kind="field_update", sobject="Contact", operation="update",
                        external_id=["prospect:a", "prospect:b", "prospect:c"],
                        crm_id=["003000000000001AAA", "003000000000001AAA", "003000000000002AAA"],
                        app_object="prospect", app_id=["a", "b", "c"], fields=[{}, {}, {}])
    assert [b["app_id"].tolist() for b in batches(items)] == [["a"], ["b", "c"]]


def test_an_upsert_carries_its_external_id_and_an_update_its_crm_id():
    task = request_records(_tasks(1))[0]
    assert task == {"Subject": "S0", "App_External_Id__c": "event:ev-0"}
    update = items_frame(kind="field_update", sobject="Lead", operation="update", external_id=["prospect:p-1"],
                         crm_id="00Q000000000001AAA", app_object="prospect", app_id="p-1", fields=[{"Title": "x"}])
    assert request_records(update)[0] == {"Title": "x", "id": "00Q000000000001AAA"}


def test_tasks_take_their_prospects_crm_id_as_who_id_and_the_others_wait():
    prospects = pd.DataFrame({"prospect_id": ["p-0", "p-1"], "crm_id": ["00Q000000000001AAA", None],
                              "is_deleted": [False, False]})
    ready, waiting = resolve_task_targets(_tasks(3), prospects)
    assert ready["app_id"].tolist() == ["ev-0", "ev-2"]
    assert ready.iloc[0]["fields"] == {"Subject": "S0", "WhoId": "00Q000000000001AAA"}
    assert waiting["app_id"].tolist() == ["ev-1"]


def _due(items):
    return due_items(items, NONE).due


def test_each_record_gets_its_own_outcome_sent_failed_for_good_or_pending_for_a_locked_row():
    new_lead = items_frame(kind="new_lead+contact_push", sobject="Lead", operation="upsert",
                           external_id=["prospect:p-1", "prospect:p-2", "prospect:p-3"], crm_id=None, app_object="prospect",
                           app_id=["p-1", "p-2", "p-3"], fields=[{"LastName": "A"}, {"LastName": "B"}, {"LastName": "C"}],
                           app_fields=[{"LastName": "last_name"}] * 3, triggers=["request:pr-1", "todo:td-2", None],
                           forced=[True, True, False])
    results = [
        {"id": "00Q000000000001AAA", "success": True, "errors": [], "created": True},
        {"success": False, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "No B allowed",
                                       "fields": ["LastName"]}]},
        {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []}]},
    ]
    outcome = batch_outcome(_due(new_lead), results, AT)
    ledger = outcome.ledger.set_index("external_id")
    assert ledger["state"].to_dict() == {"prospect:p-1": "sent", "prospect:p-2": "failed", "prospect:p-3": "pending"}
    assert ledger.loc["prospect:p-1", "sent_fields"] == {"LastName": "A"}
    assert (ledger.loc["prospect:p-2", "error_code"], ledger.loc["prospect:p-2", "error_message"]) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "No B allowed")
    assert ledger["attempts"].tolist() == [1, 1, 1]
    assert outcome.prospect_ids == {"p-1": "00Q000000000001AAA"}
    assert outcome.requests == {"pr-1": "sent"}
    assert outcome.todos == ["td-2"]
    assert (outcome.sent, outcome.failed, outcome.retry_later) == (1, 1, 1)
    log = outcome.log.iloc[0]
    assert (log["app_id"], log["crm_id"], log["field"], log["crm_field"], log["new_value"], log["direction"], log["reason"]) == (
        "p-1", "00Q000000000001AAA", "last_name", "LastName", "A", "app_to_crm", "new_lead+contact_push")


def test_a_sent_task_is_logged_once_with_its_subject():
    outcome = batch_outcome(_due(_tasks(1)), [{"id": "00T000000000001AAA", "success": True, "errors": [], "created": True}], AT)
    assert outcome.log[["object", "app_id", "crm_type", "crm_id", "new_value"]].values.tolist() == [
        ["event", "ev-0", "Task", "00T000000000001AAA", "S0"]]


def test_a_request_whose_prospect_cannot_be_pushed_is_answered_skipped():
    skip = items_frame(kind="contact_push", sobject="Lead", operation="skip", external_id=["prospect:p-1"], crm_id=None,
                       app_object="prospect", app_id="p-1", triggers="request:pr-7,threshold", note="cannot")
    assert unpushable_requests(skip) == {"pr-7": "skipped"}


def test_a_todo_is_answered_without_a_send_only_when_its_record_has_nothing_to_send():
    skip = items_frame(kind="contact_push", sobject="Lead", operation="skip",
                       external_id=["prospect:p-1", "prospect:p-2"], crm_id=None, app_object="prospect",
                       app_id=["p-1", "p-2"], triggers=pd.Series(["todo:td-1", "todo:td-2"]),
                       note=pd.Series([f"prospect p-1 {NOTHING_TO_SEND}", f"prospect p-2 {NOT_ELIGIBLE}"]))
    assert unpushable_todos(skip) == ["td-1"]


def test_values_the_crm_accepted_become_the_three_way_base_and_a_won_conflict_is_logged_as_one():
    crm = "00Q000000000001AAA"
    update = items_frame(kind="field_update", sobject="Lead", operation="update", external_id=["prospect:p-1"],
                         crm_id=crm, app_object="prospect", app_id="p-1",
                         fields=[{"Title": "CTO", "Phone": None, "Lead_Score__c": 42}],
                         app_fields=[{"Title": "title", "Phone": "phone", "Lead_Score__c": "lead_score"}],
                         old_values=[{"Title": "VP", "Phone": "111", "Lead_Score__c": "40"}],
                         reasons=[{"Title": "conflict_app_newer"}])
    outcome = batch_outcome(_due(update), [{"id": crm, "success": True, "errors": []}], AT)
    log = outcome.log[["field", "old_value", "new_value", "reason"]]
    assert log.astype(object).where(log.notna(), None).values.tolist() == [
        ["title", "VP", "CTO", "conflict_app_newer"], ["phone", "111", None, "field_update"],
        ["lead_score", "40", "42", "field_update"]]
    assert outcome.base.astype(object).where(outcome.base.notna(), None).values.tolist() == [
        ["prospect", "p-1", crm, "title", "CTO"], ["prospect", "p-1", crm, "phone", None],
        ["prospect", "p-1", crm, "lead_score", "42"]]


def test_a_refused_value_and_a_task_move_no_base():
    crm = "00Q000000000001AAA"
    update = items_frame(kind="field_update", sobject="Lead", operation="update", external_id=["prospect:p-1"],
                         crm_id=crm, app_object="prospect", app_id="p-1", fields=[{"Title": "CTO"}],
                         app_fields=[{"Title": "title"}])
    refused = [{"success": False, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}]}]
    assert batch_outcome(_due(update), refused, AT).base.empty
    sent = [{"id": "00T000000000001AAA", "success": True, "errors": []}]
    assert batch_outcome(_due(_tasks(1)), sent, AT).base.empty
