"""App → CRM: updates and F7's new Leads, worked out by hand."""

import pandas as pd

from crm_pipelines.core.field_sync import eligible_new_leads, new_lead_changes
from crm_pipelines.settings import FieldMapping
from tests.core.field_sync.sync_fixtures import C1, FEB, JAN, MAR, changes, run_sync
from tests.core.matching.crm_fixtures import prospects

NO_ONE_MATCHED = pd.DataFrame({"prospect_id": pd.Series(dtype="string")})
COMPLETE = {"last_name": "Lee", "company": "Acme", "email": "ann@x.com"}


def eligible(*rows, matched=NO_ONE_MATCHED, since=None):
    frame = prospects(*rows)
    picked = eligible_new_leads(frame, matched, since=None if since is None else pd.Timestamp(since))
    return frame["prospect_id"].iloc[picked].tolist()


def test_f7_a_prospect_with_last_name_company_and_email_and_no_crm_id_goes_out_as_a_new_lead():
    assert eligible({"prospect_id": "p1", **COMPLETE}) == ["p1"]


def test_f7_a_contact_is_never_pushed_as_a_lead():
    assert eligible({"prospect_id": "p1", **COMPLETE, "crm_type": "Contact"}) == []


def test_f7_a_prospect_with_a_crm_id_stored_or_matched_is_not_pushed():
    matched = pd.DataFrame({"prospect_id": ["p2"]})
    assert eligible({"prospect_id": "p1", **COMPLETE, "crm_id": C1},
                    {"prospect_id": "p2", **COMPLETE, "email": "bo@x.com"}, matched=matched) == []


def test_f7_without_a_last_name_a_company_or_a_valid_email_a_prospect_is_not_pushed():
    assert eligible(
        {"prospect_id": "p1", **COMPLETE, "last_name": None},
        {"prospect_id": "p2", **COMPLETE, "company": ""},
        {"prospect_id": "p3", **COMPLETE, "email": "not an email"},
        {"prospect_id": "p4", **COMPLETE, "email": None},
    ) == []


def test_f7_deleted_prospects_are_not_pushed():
    assert eligible({"prospect_id": "p1", **COMPLETE, "is_deleted": True}) == []


def test_f7_two_prospects_with_one_email_make_one_lead_from_the_earliest():
    assert eligible(
        {"prospect_id": "p2", **COMPLETE, "email": "ANN@x.com", "created_at": FEB},
        {"prospect_id": "p1", **COMPLETE, "created_at": MAR},
    ) == ["p2"]


def test_f7_only_prospects_updated_since_the_last_sync_are_pushed():
    assert eligible({"prospect_id": "p1", **COMPLETE, "updated_at": JAN}, since=FEB) == []


def test_f7_a_new_lead_always_carries_last_name_company_and_email():
    only_title = [FieldMapping(crm_object="Lead", app_field="title", crm_field="Title", direction="push")]
    frame = prospects({"prospect_id": "p1", **COMPLETE, "title": "CEO", "phone": "+1"})
    rows = new_lead_changes(frame, NO_ONE_MATCHED, only_title)
    assert changes(rows, "app_id", "crm_type", "crm_id", "crm_field", "new_value", "reason") == [
        ("p1", "Lead", None, "Title", "CEO", "new_lead"),
        ("p1", "Lead", None, "LastName", "Lee", "new_lead"),
        ("p1", "Lead", None, "Company", "Acme", "new_lead"),
        ("p1", "Lead", None, "Email", "ann@x.com", "new_lead"),
    ]


def test_the_lead_score_is_pushed_to_the_matched_record():
    contact = {"id": C1, "email": "ann@x.com", "last_modified_date": MAR, "mapped_fields": {"Lead_Score__c": None}}
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "lead_score": 55.0,
                "updated_at": JAN}
    result = run_sync([prospect], contact_rows=[contact])
    assert changes(result.outbound, "crm_type", "crm_id", "crm_field", "old_value", "new_value", "reason") == [
        ("Contact", C1, "Lead_Score__c", None, "55", "push")]


def test_when_two_prospects_hold_one_record_only_the_most_recently_updated_one_is_sent():
    contact = {"id": C1, "email": "ann@x.com", "title": "CTO", "last_modified_date": JAN}
    older = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "title": "CEO",
             "updated_at": FEB}
    newer = {"prospect_id": "p2", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "title": "VP",
             "updated_at": MAR}
    result = run_sync([older, newer], contact_rows=[contact])
    assert changes(result.outbound, "app_id", "crm_field", "new_value", field="title") == [("p2", "Title", "VP")]


def test_a_mapping_whose_crm_field_the_org_lacks_is_skipped_and_reported_not_read_as_empty():
    contact = {"id": C1, "email": "ann@x.com", "last_modified_date": MAR}  # no mapped_fields at all
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "persona": "Buyer",
                "updated_at": JAN}
    result = run_sync([prospect], contact_rows=[contact])
    assert changes(result.inbound, field="persona") == []
    assert ("Contact", "Persona__c") in {(m.crm_object, m.crm_field) for m in result.skipped_mappings}
