"""P8: what the delivery ledger lets out, case by case."""

import pandas as pd

from crm_pipelines.core.outbound import LEDGER_COLUMNS, due_items, items_frame, merge_items

LEAD = "00Q000000000001AAA"


def _update(fields, kind="field_update", forced=False, external_id="prospect:p-1"):
    return items_frame(kind=kind, sobject="Lead", operation="update", external_id=[external_id], crm_id=LEAD,
                       app_object="prospect", app_id="p-1", who_prospect_id=None, fields=[fields], triggers=None,
                       forced=forced)


def _task(fields):
    return items_frame(kind="activity", sobject="Task", operation="upsert", external_id=["event:ev-1"], crm_id=None,
                       app_object="event", app_id="ev-1", who_prospect_id="p-1", fields=[fields], triggers=None,
                       forced=False)


def _ledger(state, sent=None, attempted=None, sobject="Lead", external_id="prospect:p-1"):
    row = dict.fromkeys(LEDGER_COLUMNS)
    row.update(sobject=sobject, external_id=external_id, state=state, attempts=1, sent_fields=sent,
               attempted_fields=attempted)
    return pd.DataFrame([row], columns=list(LEDGER_COLUMNS))


NONE = pd.DataFrame(columns=list(LEDGER_COLUMNS))


def test_a_record_never_attempted_goes_out_with_every_field():
    plan = due_items(_update({"Title": "CTO", "Phone": "2"}), NONE)
    assert plan.due.iloc[0]["fields"] == {"Title": "CTO", "Phone": "2"}


def test_a_sent_record_goes_out_again_only_with_the_fields_the_crm_has_not_got():
    ledger = _ledger("sent", sent={"Title": "CTO", "Phone": "1"})
    plan = due_items(_update({"Title": "CTO", "Phone": "2"}), ledger)
    assert plan.due.iloc[0]["fields"] == {"Phone": "2"}
    assert plan.due.iloc[0]["previous_sent"] == {"Title": "CTO", "Phone": "1"}
    assert due_items(_update({"Title": "CTO"}), ledger).already_sent == 1


def test_a_sent_task_that_changed_goes_out_whole_and_an_unchanged_one_not_at_all():
    ledger = _ledger("sent", sent={"Subject": "A", "Status": "Completed", "WhoId": LEAD}, sobject="Task",
                     external_id="event:ev-1")
    assert due_items(_task({"Subject": "A", "Status": "Completed"}), ledger).due.empty
    assert due_items(_task({"Subject": "B", "Status": "Completed"}), ledger).due.iloc[0]["fields"] == {
        "Subject": "B", "Status": "Completed"}


def test_a_pending_record_whose_outcome_is_unknown_goes_out_again_whole():
    ledger = _ledger("pending", sent={"Title": "CTO"}, attempted={"Title": "CTO", "Phone": "2"})
    assert due_items(_update({"Title": "CTO", "Phone": "2"}), ledger).due.iloc[0]["fields"] == {"Title": "CTO", "Phone": "2"}


def test_a_failed_record_is_not_retried_with_the_same_values_but_is_once_it_changes():
    ledger = _ledger("failed", attempted={"Title": "CTO"})
    held = due_items(_update({"Title": "CTO"}), ledger)
    assert held.due.empty and held.failed_unchanged == 1
    assert due_items(_update({"Title": "Chief"}), ledger).due.iloc[0]["fields"] == {"Title": "Chief"}


def test_a_person_asking_sends_every_field_even_those_sent_or_failed_before():
    for ledger in (_ledger("sent", sent={"Title": "CTO"}), _ledger("failed", attempted={"Title": "CTO"})):
        assert due_items(_update({"Title": "CTO"}, forced=True), ledger).due.iloc[0]["fields"] == {"Title": "CTO"}


def test_items_of_one_record_merge_and_the_later_kind_wins_a_field():
    items = pd.concat([_update({"Title": "old", "Phone": "1"}, kind="field_update"),
                       _update({"Title": "new", "OwnerId": "005000000000001AAA"}, kind="contact_push", forced=True)],
                      ignore_index=True)
    merged = merge_items(items)
    assert len(merged) == 1
    item = merged.iloc[0]
    assert item["fields"] == {"Title": "new", "Phone": "1", "OwnerId": "005000000000001AAA"}
    assert (item["kind"], bool(item["forced"])) == ("field_update+contact_push", True)


def test_a_crm_record_several_prospects_hold_is_written_by_the_most_recently_updated_one_across_runs():
    from crm_pipelines.core.outbound.duplicates import one_writer_per_record

    at = pd.Timestamp("2026-11-01", tz="UTC")
    prospects = pd.DataFrame({"prospect_id": ["p-2", "p-1", "p-3"], "crm_id": [LEAD, LEAD, None],
                              "is_deleted": [False, False, False],
                              "updated_at": [at, at + pd.Timedelta(days=1), at]})
    # Only p-2's value differs from the CRM's this time: it still must not write, or the two would take turns.
    items = one_writer_per_record(_update({"Lead_Score__c": 20}, external_id="prospect:p-2").assign(app_id="p-2"), prospects)
    assert items.iloc[0]["operation"] == "skip"
    assert items.iloc[0]["note"] == f"Lead {LEAD} is also linked to prospect p-1, which alone writes to it"
    mine = one_writer_per_record(_update({"Lead_Score__c": 90}), prospects)
    assert mine.iloc[0]["operation"] == "update"


def test_merging_keeps_a_fields_conflict_reason_unless_a_later_kind_sends_another_value():
    conflict = items_frame(kind="field_update", sobject="Lead", operation="update", external_id=["prospect:p-1"],
                           crm_id="00Q000000000001AAA", app_object="prospect", app_id="p-1",
                           fields=[{"Title": "CTO", "Phone": "222"}], reasons=[{"Title": "conflict_app_newer",
                                                                                  "Phone": "conflict_app_newer"}])
    pushed = items_frame(kind="contact_push", sobject="Lead", operation="update", external_id=["prospect:p-1"],
                         crm_id="00Q000000000001AAA", app_object="prospect", app_id="p-1",
                         fields=[{"Title": "CTO", "Phone": "333"}])
    merged = merge_items(pd.concat([conflict, pushed], ignore_index=True)).iloc[0]
    assert merged["fields"] == {"Title": "CTO", "Phone": "333"}
    assert merged["reasons"] == {"Title": "conflict_app_newer"}


SENT_AT = pd.Timestamp("2026-11-20 10:00", tz="UTC")


def _sent(sent, sent_at=SENT_AT):
    return _ledger("sent", sent=sent).assign(app_object="prospect", app_id="p-1", crm_id=LEAD, sent_at=sent_at)


def _base(value, synced_at, field="title"):
    return pd.DataFrame({"object": ["prospect"], "app_id": ["p-1"], "crm_id": [LEAD], "field": [field],
                         "value": [value], "synced_at": [synced_at]})


def _title(value):
    item = _update({"Title": value})
    item["app_fields"] = [{"Title": "title"}]
    return item


def test_a_value_sent_before_is_due_again_once_the_base_was_set_after_the_send():
    # Sent "A"; the CRM changed it to "B" and the sync made "B" the base; the app is back at "A".
    later = _base("B", SENT_AT + pd.Timedelta(hours=1))
    assert due_items(_title("A"), _sent({"Title": "A"}), later).due.iloc[0]["fields"] == {"Title": "A"}


def test_a_value_sent_before_is_due_again_when_the_base_moved_though_another_field_was_sent_since():
    # The base moved to "B" before a later send of Phone, which moved the record's sent_at past it.
    moved = _base("B", SENT_AT - pd.Timedelta(hours=1))
    assert due_items(_title("A"), _sent({"Title": "A", "Phone": "1"}), moved).due.iloc[0]["fields"] == {"Title": "A"}


def test_a_value_sent_and_still_the_base_stays_held_back():
    ours = _base("A", SENT_AT)
    plan = due_items(_title("A"), _sent({"Title": "A"}), ours)
    assert plan.due.empty and plan.already_sent == 1
    assert due_items(_title("A"), _sent({"Title": "A"})).already_sent == 1, "no base: the ledger alone decides"
