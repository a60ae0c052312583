"""CRM → app: links, conversions, owners, creations, and applying the changes (F1–F4, X5)."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipelines.core.field_sync import apply_inbound_changes, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import ConnectorSettings
from tests.core.field_sync.sync_fixtures import C1, C2, FEB, JAN, L1, L2, MAR, changes, run_sync
from tests.core.matching.crm_fixtures import contacts, leads, overrides, prospects, rows_of

CONVERTED_LEAD = {"id": L1, "email": "ann@x.com", "is_converted": True, "converted_contact_id": C1,
                  "last_modified_date": FEB}
ITS_CONTACT = {"id": C1, "email": "ann@x.com", "first_name": "Ann", "last_modified_date": MAR}


def test_a_prospect_on_a_converted_lead_moves_to_its_contact():
    prospect = {"prospect_id": "p1", "crm_id": L1, "crm_type": "Lead", "email": "ann@x.com", "first_name": "Ann",
                "updated_at": JAN}
    result = run_sync([prospect], lead_rows=[CONVERTED_LEAD], contact_rows=[ITS_CONTACT])
    assert changes(result.inbound, "app_id", "field", "old_value", "new_value", "reason") == [
        ("p1", "crm_id", L1, C1, "converted_in_crm"),
        ("p1", "crm_type", "Lead", "Contact", "converted_in_crm"),
    ]


def test_the_owner_is_the_app_user_matched_to_the_crm_owner():
    users = pd.DataFrame({"user_id": ["u7"], "crm_user_id": ["005000000000007AAA"]})
    owned = {**ITS_CONTACT, "owner_id": "005000000000007AAA"}
    unknown_owner = {"id": C2, "email": "bo@x.com", "owner_id": "005000000000099AAA", "last_modified_date": MAR}
    prospects_ = [
        {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "first_name": "Ann",
         "owner_user_id": "u1"},
        {"prospect_id": "p2", "crm_id": C2, "crm_type": "Contact", "email": "bo@x.com", "owner_user_id": "u1"},
    ]
    result = run_sync(prospects_, contact_rows=[owned, unknown_owner], matched_users=users)
    # p2's CRM owner matches no app user: its owner is left as it is.
    assert changes(result.inbound, field="owner_user_id") == [("p1", "owner_user_id", "u1", "u7", "owner_from_crm")]


def test_changes_carry_the_crm_record_and_the_time_the_crm_changed():
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "updated_at": JAN}
    result = run_sync([prospect], contact_rows=[ITS_CONTACT])
    assert rows_of(result.inbound, "object", "crm_type", "crm_id", "crm_field", "field_type", "direction", "at") == [
        ("prospect", "Contact", C1, "FirstName", "string", "crm_to_app", pd.Timestamp(MAR))]


def test_only_records_changed_since_the_last_sync_are_compared():
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "updated_at": JAN}
    assert changes(run_sync([prospect], contact_rows=[ITS_CONTACT], since="2024-04-01T00:00:00Z").inbound) == []
    assert len(changes(run_sync([prospect], contact_rows=[ITS_CONTACT], since=FEB).inbound)) == 1


def test_deleted_prospects_get_no_changes():
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "is_deleted": True}
    result = run_sync([prospect], contact_rows=[{**ITS_CONTACT, "title": "CEO"}])
    assert changes(result.inbound) == changes(result.outbound) == []


def test_applying_changes_creates_updates_and_stamps_the_prospects():
    prospect = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "updated_at": JAN}
    new = {"id": C2, "email": "bo@x.com", "last_name": "Kim", "last_modified_date": FEB}
    app = prospects(prospect)
    crm = contacts(ITS_CONTACT, new)
    matched = match_prospects(app, leads(), crm).matched
    applied = apply_inbound_changes(app, sync_prospects(matched, app, leads(), crm).inbound)
    assert rows_of(applied, "prospect_id", "crm_id", "crm_type", "first_name", "last_name", "email", "is_deleted",
                   "created_at", "updated_at") == [
        ("p1", C1, "Contact", "Ann", None, "ann@x.com", False, pd.Timestamp(JAN), pd.Timestamp(MAR)),
        ("crm-" + C2, C2, "Contact", None, "Kim", "bo@x.com", False, pd.Timestamp(FEB), pd.Timestamp(FEB)),
    ]


def test_after_applying_the_next_sync_finds_nothing_to_bring_in():
    prospect = {"prospect_id": "p1", "email": "ANN@x.com", "updated_at": JAN}
    app, crm_leads, crm = prospects(prospect), leads(CONVERTED_LEAD), contacts(ITS_CONTACT, {"id": C2, "email": "bo@x.com"})
    for _ in range(2):
        matched = match_prospects(app, crm_leads, crm).matched
        inbound = sync_prospects(matched, app, crm_leads, crm).inbound
        app = apply_inbound_changes(app, inbound)
    assert changes(inbound) == []


TITLES = st.sampled_from([None, "", "CEO", "CTO"])
MONTHS = st.sampled_from([JAN, FEB, MAR])
FLAGS = st.booleans()


@settings(max_examples=40, deadline=None)
@given(
    app_title=TITLES, crm_title=TITLES, app_at=MONTHS, crm_at=MONTHS, second_at=MONTHS,
    second_deleted=FLAGS, second_held=FLAGS, by_email=FLAGS, empty_overwrites=FLAGS, creates=FLAGS, merges=FLAGS,
)
def test_applying_the_same_inbound_changes_twice_changes_nothing_the_second_time(
    app_title, crm_title, app_at, crm_at, second_at, second_deleted, second_held, by_email, empty_overwrites,
    creates, merges,
):
    switches = ConnectorSettings(match_by_email=by_email, overwrite_app_with_empty_crm_values=empty_overwrites,
                                 create_prospects_from_crm=creates, delete_or_merge_from_crm=merges)
    app = prospects(
        {"prospect_id": "p1", "crm_id": C1, "email": "ann@x.com", "title": app_title, "updated_at": app_at},
        {"prospect_id": "p2", "crm_id": L2 if second_held else None, "email": "bo@x.com", "updated_at": app_at},
    )
    crm = contacts({"id": C1, "email": "ann@x.com", "title": crm_title, "last_modified_date": crm_at})
    crm_leads = leads({"id": L2, "email": "BO@x.com", "title": "VP", "last_modified_date": second_at,
                       "is_deleted": second_deleted})
    matched = match_prospects(app, crm_leads, crm, match_by_email=switches.match_by_email).matched
    inbound = sync_prospects(matched, app, crm_leads, crm, settings=switches).inbound
    once = apply_inbound_changes(app, inbound)
    twice = apply_inbound_changes(once, inbound)
    pd.testing.assert_frame_equal(once, twice)


def test_a_manual_match_wins_over_the_stored_id_and_survives_every_rebuild():
    app = prospects({"prospect_id": "p1", "email": "dup@x.com", "updated_at": JAN})
    crm_leads = leads({"id": L1, "email": "dup@x.com", "last_modified_date": JAN})
    crm = contacts({"id": C1, "email": "dup@x.com", "last_modified_date": JAN})
    manual = None
    stored = []
    for rebuild in range(4):
        if rebuild == 2:  # a user marks the Lead as the correct match
            manual = overrides(("prospect", "p1", L1, FEB))
        matched = match_prospects(app, crm_leads, crm, manual).matched
        app = apply_inbound_changes(app, sync_prospects(matched, app, crm_leads, crm).inbound)
        stored.append((app["crm_id"].iloc[0], matched["matched_by"].iloc[0]))
    assert stored == [(C1, "email"), (C1, "id"), (L1, "manual"), (L1, "manual")]
