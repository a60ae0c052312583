"""X2's order of precedence, each step with a case whose answer changes if the order does.

The order (prospects.py): a manual override; else the stored CRM id, followed through merges and
conversions; else, only with F4.6 on, the normalized email, where a Contact beats a Lead, then
the most recently modified record wins, then the smallest id. A converted Lead is never the
match itself: every path leads on to its Contact, or to nothing.

  Contacts  C1 pat@x.com (Jan)   C2 pat@x.com (Mar)   C3 kim@x.com (Jan)
  Leads     L1 pat@x.com (Jun)   L2 kim@x.com (Jun), converted to C3
            L3 sam@x.com (Jun)   L4 sam@x.com (Jan)   L5 lou@x.com (Jun), converted to a Contact not extracted
            L6 eve@x.com (Jan), converted to C1 (the Contact's email differs from the Lead's)
"""

import pytest

from crm_pipelines.core.matching import match_prospects
from tests.core.matching.crm_fixtures import contacts, leads, overrides, prospects, rows_of

C1, C2, C3 = "003000000000001AAA", "003000000000002AAA", "003000000000003AAA"
L1, L2, L3, L4, L5, L6 = (f"00Q00000000000{i}AAA" for i in range(1, 7))
GONE = "003000000000099AAA"

CONTACTS = contacts(
    {"id": C1, "email": "pat@x.com", "last_modified_date": "2024-01-01T00:00:00Z"},
    {"id": C2, "email": "pat@x.com", "last_modified_date": "2024-03-01T00:00:00Z"},
    {"id": C3, "email": "kim@x.com", "last_modified_date": "2024-01-01T00:00:00Z"},
)
LEADS = leads(
    {"id": L1, "email": "pat@x.com", "last_modified_date": "2024-06-01T00:00:00Z"},
    {"id": L2, "email": "kim@x.com", "last_modified_date": "2024-06-01T00:00:00Z", "is_converted": True,
     "converted_contact_id": C3},
    {"id": L3, "email": "sam@x.com", "last_modified_date": "2024-06-01T00:00:00Z"},
    {"id": L4, "email": "sam@x.com", "last_modified_date": "2024-01-01T00:00:00Z"},
    {"id": L5, "email": "lou@x.com", "last_modified_date": "2024-06-01T00:00:00Z", "is_converted": True,
     "converted_contact_id": GONE},
    {"id": L6, "email": "eve@x.com", "last_modified_date": "2024-01-01T00:00:00Z", "is_converted": True,
     "converted_contact_id": C1},
)
CONVERTED = {L2, L5, L6}


def match(*rows, by_email=True, manual=None):
    return match_prospects(prospects(*rows), LEADS, CONTACTS, manual, match_by_email=by_email)


def matched(*rows, **kw):
    return rows_of(match(*rows, **kw).matched, "prospect_id", "crm_id", "matched_by")


def test_the_stored_id_beats_an_email_that_names_a_contact():
    # By email, pat@x.com goes to the Contact C2; the stored id says the Lead L1, and it wins.
    assert matched({"prospect_id": "p", "crm_id": L1, "email": "pat@x.com"}) == [("p", L1, "id")]


def test_the_stored_id_is_used_whatever_f46_says():
    assert matched({"prospect_id": "p", "crm_id": L4, "email": "sam@x.com"}, by_email=False) == [("p", L4, "id")]


@pytest.mark.parametrize("by_email, expected", [(True, [("p", L3, "email")]), (False, [])])
def test_the_email_matches_only_when_f46_is_on(by_email, expected):
    result = match({"prospect_id": "p", "email": "sam@x.com"}, by_email=by_email)
    assert rows_of(result.matched, "prospect_id", "crm_id", "matched_by") == expected
    if not by_email:
        assert rows_of(result.unmatched_prospects, "reason") == [("email_matching_off",)]


def test_on_one_email_a_contact_beats_a_lead_even_a_newer_one():
    # L1 (June) is newer than both Contacts; a Contact still wins.
    result = match({"prospect_id": "p", "email": "PAT@x.com"})
    assert rows_of(result.matched, "crm_id", "candidates") == [(C2, 3)]
    assert rows_of(result.ambiguous, "crm_id", "crm_type", "rank") == [
        (C2, "Contact", 1), (C1, "Contact", 2), (L1, "Lead", 3)]


def test_among_records_of_one_type_the_most_recently_modified_wins_over_the_smaller_id():
    # C1 < C2 and L3 < L4 by id; the later modified of each pair wins: C2, and L3 (June) over L4.
    assert matched({"prospect_id": "p1", "email": "pat@x.com"}, {"prospect_id": "p2", "email": "sam@x.com"}) == [
        ("p1", C2, "email"), ("p2", L3, "email")]


def test_a_converted_lead_is_never_the_match_by_any_path():
    manual = overrides(("prospect", "p5", L2, "2024-07-01"))
    result = match(
        {"prospect_id": "p1", "crm_id": L2},            # stored id of a converted Lead
        {"prospect_id": "p2", "email": "kim@x.com"},    # email of a converted Lead and of its Contact
        {"prospect_id": "p3", "email": "eve@x.com"},    # email only the converted Lead carries
        {"prospect_id": "p4", "crm_id": L5},            # converted to a Contact not extracted
        {"prospect_id": "p5", "crm_id": C2},            # a manual match naming a converted Lead
        manual=manual,
    )
    assert not set(result.matched["crm_id"]) & CONVERTED
    assert rows_of(result.matched, "prospect_id", "crm_id", "crm_type", "matched_by") == [
        ("p1", C3, "Contact", "converted"), ("p2", C3, "Contact", "email"), ("p3", C1, "Contact", "email"),
        ("p5", C3, "Contact", "manual")]
    assert rows_of(result.unmatched_prospects, "prospect_id", "reason") == [("p4", "crm_successor_not_found")]
    assert not set(result.crm_without_prospect["crm_id"]) & CONVERTED


def test_a_manual_match_beats_the_stored_id_and_the_email():
    manual = overrides(("prospect", "p1", L4, "2024-07-01"), ("prospect", "p2", C1, "2024-07-01"))
    # Without it: p1 by its stored id L3, p2 by email C2 (the newer Contact).
    assert matched({"prospect_id": "p1", "crm_id": L3}, {"prospect_id": "p2", "email": "pat@x.com"}) == [
        ("p1", L3, "id"), ("p2", C2, "email")]
    assert matched({"prospect_id": "p1", "crm_id": L3}, {"prospect_id": "p2", "email": "pat@x.com"}, manual=manual) == [
        ("p1", L4, "manual"), ("p2", C1, "manual")]


def test_a_manual_match_applies_with_f46_off():
    manual = overrides(("prospect", "p", L1, "2024-07-01"))
    assert matched({"prospect_id": "p", "email": "pat@x.com"}, by_email=False, manual=manual) == [("p", L1, "manual")]
