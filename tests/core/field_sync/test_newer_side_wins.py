"""F3: in a two-way mapping the side modified more recently wins; pull and push mappings ignore
the clocks. Ties go to the CRM, the master of record."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipelines.core.field_sync import apply_inbound_changes, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import FieldMapping
from tests.core.field_sync.sync_fixtures import C1, FEB, L1, MAR, changes, run_sync
from tests.core.matching.crm_fixtures import contacts, leads, prospects

CONTACT = {"id": C1, "email": "ann@x.com", "title": "CTO", "last_modified_date": MAR}
PROSPECT = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "title": "CEO"}


def test_when_the_crm_record_is_newer_its_value_comes_to_the_app():
    result = run_sync([{**PROSPECT, "updated_at": FEB}], contact_rows=[CONTACT])
    assert changes(result.inbound, field="title") == [("p1", "title", "CEO", "CTO", "crm_newer")]
    assert changes(result.outbound, field="title") == []


def test_when_the_prospect_is_newer_its_value_goes_to_the_crm():
    result = run_sync([{**PROSPECT, "updated_at": "2024-04-01T00:00:00Z"}], contact_rows=[CONTACT])
    assert changes(result.outbound, "crm_id", "crm_field", "old_value", "new_value", "reason", field="title") == [
        (C1, "Title", "CTO", "CEO", "app_newer")]
    assert changes(result.inbound, field="title") == []


def test_when_both_were_modified_at_the_same_time_the_crm_wins():
    result = run_sync([{**PROSPECT, "updated_at": MAR}], contact_rows=[CONTACT])
    assert changes(result.inbound, field="title") == [("p1", "title", "CEO", "CTO", "same_time_crm_wins")]


def test_a_pull_mapping_takes_the_crm_value_even_when_the_app_is_newer():
    lead = {"id": L1, "email": "bo@x.com", "status": "Working - Contacted", "last_modified_date": FEB}
    prospect = {"prospect_id": "p2", "crm_id": L1, "crm_type": "Lead", "email": "bo@x.com", "status": "Open",
                "updated_at": MAR}
    result = run_sync([prospect], lead_rows=[lead])
    assert changes(result.inbound, field="status") == [("p2", "status", "Open", "Working - Contacted", "pull")]


def test_a_push_mapping_sends_the_app_value_even_when_the_crm_is_newer():
    contact = {**CONTACT, "title": "CEO", "mapped_fields": {"Lead_Score__c": 12.0}}
    result = run_sync([{**PROSPECT, "lead_score": 40.0, "updated_at": FEB}], contact_rows=[contact])
    assert changes(result.outbound, "crm_field", "old_value", "new_value", "reason", field="lead_score") == [
        ("Lead_Score__c", "12", "40", "push")]
    assert changes(result.inbound, field="lead_score") == []


BASE = datetime(2024, 1, 1, tzinfo=UTC)
TITLE_ONLY = (FieldMapping(crm_object="Contact", app_field="title", crm_field="Title", direction="two_way"),)
VALUES = st.sampled_from(["CEO", "CTO", "VP", None])


def title_sync(app_value, app_minutes, crm_value, crm_minutes):
    """The title changes each way for one prospect and its Contact, and the frames they came from."""
    app = prospects({**PROSPECT, "title": app_value, "updated_at": (BASE + timedelta(minutes=app_minutes)).isoformat()})
    crm = contacts({**CONTACT, "title": crm_value,
                    "last_modified_date": (BASE + timedelta(minutes=crm_minutes)).isoformat()})
    matched = match_prospects(app, leads(), crm).matched
    return sync_prospects(matched, app, leads(), crm, mappings=TITLE_ONLY), (matched, app, crm)


def winner(sync):
    """(direction, value) of the one title change, or None."""
    rows = changes(sync.inbound, "direction", "new_value") + changes(sync.outbound, "direction", "new_value")
    assert len(rows) <= 1
    return rows[0] if rows else None


@settings(max_examples=30, deadline=None)
@given(a_value=VALUES, a_minutes=st.integers(0, 3), b_value=VALUES, b_minutes=st.integers(0, 3))
def test_the_newer_side_wins_whichever_side_it_is(a_value, a_minutes, b_value, b_minutes):
    a_in_app, (matched, app, crm) = title_sync(a_value, a_minutes, b_value, b_minutes)
    a_in_crm, _ = title_sync(b_value, b_minutes, a_value, a_minutes)
    newer_value = a_value if a_minutes > b_minutes else b_value
    if a_value == b_value:
        assert winner(a_in_app) is None and winner(a_in_crm) is None
    elif a_minutes == b_minutes:  # a tie: the CRM wins, whichever value it holds
        assert winner(a_in_app) == ("crm_to_app", b_value)
        assert winner(a_in_crm) == ("crm_to_app", a_value)
    else:
        # The same side wins from either seat; an empty app value is never sent (F4.5 off by default).
        a_newer = a_minutes > b_minutes
        expected_app_seat = ("app_to_crm", newer_value) if a_newer else ("crm_to_app", newer_value)
        expected_crm_seat = ("crm_to_app", newer_value) if a_newer else ("app_to_crm", newer_value)
        for got, expected in ((winner(a_in_app), expected_app_seat), (winner(a_in_crm), expected_crm_seat)):
            assert got == (None if expected[0] == "app_to_crm" and expected[1] is None else expected)
    if winner(a_in_app) is not None and winner(a_in_app)[0] == "crm_to_app":
        # Once applied, the prospect and its record agree: nothing flows either way.
        applied = apply_inbound_changes(app, a_in_app.inbound)
        again = sync_prospects(matched, applied, leads(), crm, mappings=TITLE_ONLY)
        assert winner(again) is None
