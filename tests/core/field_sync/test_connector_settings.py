"""F4: each of the nine connector switches, on and off, on hand-built records.

The Contact C1 is "ann@x.com"; the prospect p1 holds it. Unless a test says otherwise the CRM
record was modified in March and the prospect in February, so the CRM side is newer.
"""

import pandas as pd

from crm_pipelines.core.field_sync import activity_push_enabled, activity_targets, label_changes, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from tests.core.field_sync.sync_fixtures import C1, C2, FEB, JAN, L3, L4, MAR, changes, run_sync
from tests.core.matching.crm_fixtures import contacts, leads, prospects

ANN = {"id": C1, "email": "ann@x.com", "last_name": "Lee", "last_modified_date": MAR}
P1 = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "last_name": "Lee",
      "updated_at": FEB}


# F4.1 create a prospect when a Lead or Contact is created in the CRM

NEW_CONTACT = {"id": C2, "email": "Bo@X.com", "first_name": "Bo", "last_name": "Kim", "last_modified_date": MAR,
               "has_opted_out_of_email": True}


def test_f4_1_on_a_new_crm_contact_becomes_a_prospect_with_its_values():
    result = run_sync([P1], contact_rows=[ANN, NEW_CONTACT], create_prospects_from_crm=True)
    assert changes(result.inbound, "app_id", "field", "new_value", reason="created_in_crm") == [
        ("crm-" + C2, "crm_id", C2),
        ("crm-" + C2, "crm_type", "Contact"),
        ("crm-" + C2, "first_name", "Bo"),
        ("crm-" + C2, "last_name", "Kim"),
        ("crm-" + C2, "email", "Bo@X.com"),
        ("crm-" + C2, "opted_out", "true"),
    ]


def test_f4_1_off_new_crm_records_create_nothing():
    result = run_sync([P1], contact_rows=[ANN, NEW_CONTACT], create_prospects_from_crm=False)
    assert changes(result.inbound, reason="created_in_crm") == []


def test_f4_1_only_records_changed_since_the_last_sync_are_created():
    result = run_sync([P1], contact_rows=[ANN, {**NEW_CONTACT, "last_modified_date": JAN}], since=FEB)
    assert changes(result.inbound, reason="created_in_crm") == []


# F4.2 change a prospect's email when it changes in the CRM

def test_f4_2_on_a_changed_crm_email_changes_the_prospects_email():
    result = run_sync([P1], contact_rows=[{**ANN, "email": "ann.lee@x.com"}], update_email_from_crm=True)
    assert changes(result.inbound, field="email") == [("p1", "email", "ann@x.com", "ann.lee@x.com", "crm_newer")]


def test_f4_2_off_a_changed_crm_email_leaves_the_prospect_alone_and_is_not_pushed_back():
    result = run_sync([P1], contact_rows=[{**ANN, "email": "ann.lee@x.com"}], update_email_from_crm=False)
    assert changes(result.inbound, field="email") == []
    assert changes(result.outbound, field="email") == []


def test_f4_2_an_email_differing_only_in_case_is_no_change():
    result = run_sync([P1], contact_rows=[{**ANN, "email": " ANN@X.com"}])
    assert changes(result.inbound, field="email") == changes(result.outbound, field="email") == []


# F4.3 delete or merge prospects when their CRM records are deleted or merged

MERGED_LEAD = {"id": L3, "email": "old@x.com", "is_deleted": True, "master_record_id": L4, "last_modified_date": MAR}
MASTER_LEAD = {"id": L4, "email": "new@x.com", "last_modified_date": MAR, "status": "Open - Not Contacted"}
ON_MERGED = {"prospect_id": "p1", "crm_id": L3, "crm_type": "Lead", "email": "old@x.com", "updated_at": FEB,
             "status": "Open - Not Contacted"}
ON_MASTER = {"prospect_id": "p2", "crm_id": L4, "crm_type": "Lead", "email": "new@x.com", "updated_at": FEB,
             "status": "Open - Not Contacted"}


def test_f4_3_on_a_prospect_whose_record_was_deleted_is_deleted():
    result = run_sync([P1], contact_rows=[{**ANN, "is_deleted": True}], delete_or_merge_from_crm=True)
    assert changes(result.inbound) == [("p1", "is_deleted", "false", "true", "deleted_in_crm")]


def test_f4_3_off_a_prospect_whose_record_was_deleted_stays():
    result = run_sync([P1], contact_rows=[{**ANN, "is_deleted": True}], delete_or_merge_from_crm=False)
    assert changes(result.inbound) == []


def test_f4_3_on_a_prospect_whose_record_was_merged_into_anothers_is_merged_into_that_prospect():
    result = run_sync([ON_MERGED, ON_MASTER], lead_rows=[MERGED_LEAD, MASTER_LEAD], delete_or_merge_from_crm=True)
    assert changes(result.inbound, "app_id", "field", "new_value", "reason") == [
        ("p1", "is_deleted", "true", "merged_in_crm"),
        ("p1", "merged_into", "p2", "merged_in_crm"),
    ]


def test_f4_3_off_a_merged_record_is_still_followed_but_no_prospect_is_merged():
    result = run_sync([ON_MERGED, ON_MASTER], lead_rows=[MERGED_LEAD, MASTER_LEAD], delete_or_merge_from_crm=False)
    # p1 now holds the master, which is newer and has another email: it takes that too.
    assert changes(result.inbound, "app_id", "field", "old_value", "new_value", "reason") == [
        ("p1", "crm_id", L3, L4, "merge_followed"),
        ("p1", "email", "old@x.com", "new@x.com", "crm_newer"),
    ]


def test_a_merged_record_no_other_prospect_holds_is_followed_either_way():
    for switch in (True, False):
        result = run_sync([ON_MERGED], lead_rows=[MERGED_LEAD, MASTER_LEAD], delete_or_merge_from_crm=switch)
        assert changes(result.inbound, field="crm_id") == [("p1", "crm_id", L3, L4, "merge_followed")]


# F4.4 overwrite app values with empty CRM values

def test_f4_4_on_an_emptied_crm_field_empties_the_prospects():
    result = run_sync([{**P1, "title": "CEO"}], contact_rows=[ANN], overwrite_app_with_empty_crm_values=True)
    assert changes(result.inbound, field="title") == [("p1", "title", "CEO", None, "crm_newer")]


def test_f4_4_off_an_empty_crm_field_leaves_the_prospects_value():
    result = run_sync([{**P1, "title": "CEO"}], contact_rows=[ANN], overwrite_app_with_empty_crm_values=False)
    assert changes(result.inbound, field="title") == []
    assert changes(result.outbound, field="title") == []  # the CRM is newer: nothing goes back either


# F4.5 overwrite CRM values with empty app values

APP_NEWER = {**P1, "updated_at": "2024-04-01T00:00:00Z"}


def test_f4_5_on_an_emptied_app_field_is_sent_as_null():
    result = run_sync([APP_NEWER], contact_rows=[{**ANN, "phone": "+1 555"}], overwrite_crm_with_empty_app_values=True)
    assert changes(result.outbound, "crm_id", "crm_field", "old_value", "new_value", "reason", field="phone") == [
        (C1, "Phone", "+1 555", None, "app_newer")]


def test_f4_5_off_empty_app_values_are_never_sent():
    result = run_sync([APP_NEWER], contact_rows=[{**ANN, "phone": "+1 555"}], overwrite_crm_with_empty_app_values=False)
    assert changes(result.outbound, field="phone") == []


# F4.6 match by email when a prospect has no CRM id

NO_ID = {"prospect_id": "p3", "email": "ANN@x.com", "last_name": "Lee", "company": "Acme", "updated_at": FEB}


def test_f4_6_on_a_prospect_without_a_crm_id_matches_by_email_and_stores_the_id():
    result = run_sync([NO_ID], contact_rows=[ANN], match_by_email=True)
    assert changes(result.inbound, "app_id", "field", "new_value", "reason", reason="matched_by_email") == [
        ("p3", "crm_id", C1, "matched_by_email"), ("p3", "crm_type", "Contact", "matched_by_email")]
    assert changes(result.outbound, reason="new_lead") == []


def test_f4_6_off_a_prospect_without_a_crm_id_is_not_matched_and_goes_out_as_a_new_lead():
    result = run_sync([NO_ID], contact_rows=[ANN], match_by_email=False)
    assert changes(result.inbound, reason="matched_by_email") == []
    assert changes(result.outbound, "app_id", "crm_field", "new_value", reason="new_lead") == [
        ("p3", "LastName", "Lee"), ("p3", "Email", "ANN@x.com"), ("p3", "HasOptedOutOfEmail", "false"),
        ("p3", "Company", "Acme")]


def test_f4_6_on_a_prospect_the_last_matching_never_saw_is_not_a_new_lead_when_the_crm_has_its_email():
    # The push plans from the app as it is now, against the last matching: a prospect added since
    # is in no matched frame, yet a live Contact has its email (found by the soak: a duplicate Lead).
    app, crm = prospects(NO_ID), contacts(ANN)
    empty_matched = match_prospects(prospects(), leads(), crm).matched
    on = sync_prospects(empty_matched, app, leads(), crm, settings=ConnectorSettings(match_by_email=True))
    assert changes(on.outbound, reason="new_lead") == []
    off = sync_prospects(empty_matched, app, leads(), crm, settings=ConnectorSettings(match_by_email=False))
    assert changes(off.outbound, "crm_field", "new_value", field="email", reason="new_lead") == [("Email", "ANN@x.com")]


# F4.7 let the CRM overwrite the prospect's opted-out flag

def test_f4_7_on_the_crm_opt_out_overwrites_the_prospects():
    result = run_sync([P1], contact_rows=[{**ANN, "has_opted_out_of_email": True}], crm_overwrites_opted_out=True)
    assert changes(result.inbound, field="opted_out") == [("p1", "opted_out", "false", "true", "crm_newer")]


def test_f4_7_off_the_prospects_opt_out_stays_as_the_app_has_it():
    result = run_sync([P1], contact_rows=[{**ANN, "has_opted_out_of_email": True}], crm_overwrites_opted_out=False)
    assert changes(result.inbound, field="opted_out") == []


# F4.8 show the prospect's app activity on the CRM record

MATCHED = pd.DataFrame({"prospect_id": ["p1"], "crm_id": [C1], "crm_type": ["Contact"], "matched_by": ["id"]})


def test_f4_8_on_activity_is_pushed_to_every_matched_record():
    settings = ConnectorSettings(show_activity_in_crm=True)
    assert activity_push_enabled(settings) is True
    assert activity_targets(MATCHED, settings).to_dict("records") == [
        {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact"}]


def test_f4_8_off_no_activity_is_pushed():
    settings = ConnectorSettings(show_activity_in_crm=False)
    assert activity_push_enabled(settings) is False
    assert activity_targets(MATCHED, settings).empty


# F4.9 follow CRM label changes of mapped custom fields

LABELS_NOW = pd.DataFrame({"crm_object": ["Lead", "Lead", "Contact"],
                           "crm_field": ["Persona__c", "Lead_Score__c", "persona__c"],
                           "label": ["Buyer Persona", "Score", "Persona"]})
LABELS_HELD = pd.DataFrame({"crm_object": ["Lead", "Lead", "Contact"],
                            "crm_field": ["Persona__c", "Lead_Score__c", "Persona__c"],
                            "label": ["Persona", "Score", "Persona"]})


def test_f4_9_on_a_renamed_custom_field_yields_a_label_change():
    rows = label_changes(LABELS_NOW, LABELS_HELD, DEFAULT_FIELD_MAPPINGS, ConnectorSettings(follow_crm_label_changes=True))
    assert changes(rows, "crm_type", "crm_field", "app_id", "old_value", "new_value", "reason") == [
        ("Lead", "Persona__c", "persona", "Persona", "Buyer Persona", "label_changed")]


def test_f4_9_off_label_changes_are_not_followed():
    rows = label_changes(LABELS_NOW, LABELS_HELD, DEFAULT_FIELD_MAPPINGS, ConnectorSettings(follow_crm_label_changes=False))
    assert rows.empty


def test_f4_9_only_mapped_custom_fields_are_followed():
    only_standard = [FieldMapping(crm_object="Lead", app_field="title", crm_field="Title", direction="two_way")]
    labels = pd.DataFrame({"crm_object": ["Lead"], "crm_field": ["Title"], "label": ["Job Title"]})
    assert label_changes(labels, labels.iloc[0:0], only_standard, ConnectorSettings()).empty
