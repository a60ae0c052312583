"""W3's input: which Leads and Contacts changed since the last evaluation, as prospects see them."""

import pandas as pd

from crm_pipelines.core.workflows.changed_records import changed_records, workflow_log_rows

T0 = pd.Timestamp("2026-11-01 09:00", tz="UTC")


def _crm(ids, stamps, deleted=None):
    return pd.DataFrame({"id": ids, "system_modstamp": stamps, "is_deleted": deleted or [False] * len(ids)})


PROSPECTS = pd.DataFrame({
    "prospect_id": ["p-lead", "p-contact", "p-gone", "p-none"],
    "crm_id": ["00Q1", "0031", "00Q2", None], "crm_type": ["Lead", "Contact", "Lead", None],
    "status": ["Disqualified", None, "Open", None], "title": [None, "VP Sales", None, None],
    "is_deleted": [False, False, True, False],
})


def test_records_changed_at_or_after_the_cursor_that_a_live_prospect_holds_are_the_changes():
    leads = _crm(["00Q1", "00Q2", "00Q3"], [T0, T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=2)])
    contacts = _crm(["0031"], [T0 - pd.Timedelta(hours=1)])
    changes, latest = changed_records(leads, contacts, PROSPECTS, since=T0)
    # 00Q1 sits at the cursor itself (read again), 00Q2's prospect is deleted, 00Q3 has no prospect,
    # 0031 changed before the cursor.
    assert changes[["prospect_id", "record_type", "change_key", "status"]].values.tolist() == [
        ["p-lead", "Lead", "00Q1@2026-11-01T09:00:00.000000Z", "Disqualified"]]
    assert latest == T0 + pd.Timedelta(hours=2)


def test_before_the_first_evaluation_every_live_record_is_a_change_and_a_new_stamp_a_new_change():
    leads = _crm(["00Q1"], [T0 + pd.Timedelta(minutes=5)])
    contacts = _crm(["0031"], [T0])
    changes, _ = changed_records(leads, contacts, PROSPECTS, since=None)
    assert sorted(changes["change_key"]) == ["0031@2026-11-01T09:00:00.000000Z", "00Q1@2026-11-01T09:05:00.000000Z"]
    assert changes.set_index("prospect_id").loc["p-contact", "title"] == "VP Sales"


def test_the_workflow_log_becomes_connector_log_rows_with_the_action_and_the_criteria_in_words():
    changes = pd.DataFrame({"change_key": ["00Q1@x"], "crm_id": ["00Q1"], "record_type": ["Lead"]})
    log = pd.DataFrame({"membership_id": ["m-1"], "prospect_id": ["p-lead"], "field": ["status"], "old_value": ["active"],
                        "new_value": ["exited"], "reason": ["workflow 'Exit': status equals 'Disqualified'"],
                        "workflow": ["Exit"], "change_key": ["00Q1@x"], "action": ["exit_cadence"]})
    row = workflow_log_rows(log, changes, T0).iloc[0]
    assert (row["object"], row["app_id"], row["crm_type"], row["crm_id"], row["direction"], row["reason"]) == (
        "cadence_membership", "m-1", "Lead", "00Q1", "crm_to_app", "workflow_exit_cadence")
    assert row["detail"] == "workflow 'Exit': status equals 'Disqualified'"
