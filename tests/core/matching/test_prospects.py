"""X2, X3, X5: prospects ↔ Leads and Contacts, with expectations worked out by hand.

The fixture, one line per record:
  Contacts  C1 ann@x.com                C2 dup@x.com (Jan)     C3 gone@x.com, deleted
  Leads     L1 dup@x.com (Mar)          L2 conv@x.com, converted to C1
            L3 old@x.com, merged into L4   L4 new@x.com          L5 twin@x.com (Feb)   L6 twin@x.com (Feb)
"""

import pandas as pd

from crm_pipelines.core.matching import match_prospects
from tests.core.matching.crm_fixtures import contacts, leads, overrides, prospects, rows_of

C1, C2, C3 = "003000000000001AAA", "003000000000002AAA", "003000000000003AAA"
L1, L2, L3, L4, L5, L6 = (f"00Q00000000000{i}AAA" for i in range(1, 7))

CONTACTS = contacts(
    {"id": C1, "email": "ann@x.com"},
    {"id": C2, "email": "dup@x.com", "last_modified_date": "2024-01-15T00:00:00Z"},
    {"id": C3, "email": "gone@x.com", "is_deleted": True},
)
LEADS = leads(
    {"id": L1, "email": "dup@x.com", "last_modified_date": "2024-03-01T00:00:00Z"},
    {"id": L2, "email": "conv@x.com", "is_converted": True, "converted_contact_id": C1},
    {"id": L3, "email": "old@x.com", "is_deleted": True, "master_record_id": L4},
    {"id": L4, "email": "new@x.com"},
    {"id": L6, "email": "twin@x.com", "last_modified_date": "2024-02-01T00:00:00Z"},
    {"id": L5, "email": "Twin@X.com", "last_modified_date": "2024-02-01T00:00:00Z"},
)


def match(*rows, by_email=True, manual=None):
    return match_prospects(prospects(*rows), LEADS, CONTACTS, manual, match_by_email=by_email)


def test_the_stored_crm_id_matches_first_even_when_the_email_says_otherwise():
    result = match({"prospect_id": "p1", "crm_id": C1, "email": "new@x.com"})
    assert rows_of(result.matched, "prospect_id", "crm_id", "crm_type", "matched_by") == [("p1", C1, "Contact", "id")]


def test_without_a_crm_id_the_normalized_email_matches():
    result = match({"prospect_id": "p2", "email": "  NEW@X.COM "})
    assert rows_of(result.matched, "crm_id", "crm_type", "matched_by", "candidates", "ambiguous") == [
        (L4, "Lead", "email", 1, False)]


def test_matching_by_email_off_leaves_prospects_without_a_crm_id_unmatched():
    result = match({"prospect_id": "p2", "email": "new@x.com"}, {"prospect_id": "p1", "crm_id": C1}, by_email=False)
    assert rows_of(result.matched, "prospect_id", "matched_by") == [("p1", "id")]
    assert rows_of(result.unmatched_prospects, "prospect_id", "reason") == [("p2", "email_matching_off")]


def test_an_email_on_a_contact_and_a_lead_goes_to_the_contact_though_the_lead_is_newer():
    result = match({"prospect_id": "p3", "email": "dup@x.com"})
    assert rows_of(result.matched, "crm_id", "matched_by", "candidates", "ambiguous") == [(C2, "email", 2, True)]
    assert rows_of(result.ambiguous, "email", "crm_id", "crm_type", "rank", "prospects") == [
        ("dup@x.com", C2, "Contact", 1, 1), ("dup@x.com", L1, "Lead", 2, 1)]


def test_two_leads_modified_at_the_same_time_resolve_to_the_smallest_id():
    result = match({"prospect_id": "p4", "email": "twin@x.com"}, {"prospect_id": "p5", "email": "TWIN@x.com"})
    assert rows_of(result.matched, "prospect_id", "crm_id") == [("p4", L5), ("p5", L5)]
    assert rows_of(result.ambiguous, "crm_id", "rank", "prospects") == [(L5, 1, 2), (L6, 2, 2)]


def test_deleted_records_never_match_by_email():
    result = match({"prospect_id": "p6", "email": "gone@x.com"}, {"prospect_id": "p7", "email": "old@x.com"})
    assert result.matched.empty
    assert rows_of(result.unmatched_prospects, "reason") == [("no_crm_record_with_email",)] * 2


def test_a_converted_lead_follows_to_its_contact():
    result = match({"prospect_id": "p8", "crm_id": L2})
    assert rows_of(result.matched, "crm_id", "crm_type", "matched_by") == [(C1, "Contact", "converted")]


def test_a_converted_leads_email_leads_to_the_contact_as_one_candidate():
    result = match({"prospect_id": "p8", "email": "conv@x.com"})
    assert rows_of(result.matched, "crm_id", "matched_by", "candidates") == [(C1, "email", 1)]


def test_a_merged_record_follows_to_its_master():
    result = match({"prospect_id": "p9", "crm_id": L3})
    assert rows_of(result.matched, "crm_id", "crm_type", "matched_by") == [(L4, "Lead", "merged")]


def test_a_deleted_record_without_a_master_matches_nothing_and_says_so():
    result = match({"prospect_id": "p10", "crm_id": C3}, {"prospect_id": "p11", "crm_id": "003000000000099AAA"})
    assert result.matched.empty
    assert rows_of(result.unmatched_prospects, "prospect_id", "reason") == [
        ("p10", "crm_record_deleted"), ("p11", "crm_id_not_found")]


def test_a_manual_override_beats_the_stored_id_and_the_email():
    manual = overrides(("prospect", "p1", L1, "2024-04-01"), ("prospect", "p3", L1, "2024-04-01"))
    result = match({"prospect_id": "p1", "crm_id": C1}, {"prospect_id": "p3", "email": "dup@x.com"}, manual=manual)
    assert rows_of(result.matched, "prospect_id", "crm_id", "matched_by", "ambiguous") == [
        ("p1", L1, "manual", False), ("p3", L1, "manual", False)]


def test_the_latest_override_of_a_prospect_wins():
    manual = overrides(("prospect", "p1", L4, "2024-05-01"), ("prospect", "p1", L1, "2024-04-01"))
    assert rows_of(match({"prospect_id": "p1", "crm_id": C1}, manual=manual).matched, "crm_id") == [(L4,)]


def test_an_override_naming_a_merged_record_follows_it_and_one_naming_a_deleted_record_is_stale():
    manual = overrides(("prospect", "p1", L3, "2024-04-01"), ("prospect", "p2", C3, "2024-04-01"),
                       ("prospect", "nobody", C1, "2024-04-01"))
    result = match({"prospect_id": "p1", "crm_id": C1}, {"prospect_id": "p2", "email": "ann@x.com"}, manual=manual)
    assert rows_of(result.matched, "prospect_id", "crm_id", "matched_by") == [("p1", L4, "manual"), ("p2", C1, "email")]
    assert rows_of(result.stale_overrides, "app_id", "reason") == [
        ("nobody", "app_record_not_found"), ("p2", "crm_record_not_found_or_deleted")]


def test_manual_overrides_survive_a_rebuild_after_the_crm_changes():
    manual = overrides(("prospect", "p3", L1, "2024-04-01"))
    first = match({"prospect_id": "p3", "email": "dup@x.com"}, manual=manual)
    # A rebuild from scratch, after a newer Contact with the same email appeared in the CRM.
    newer = contacts(*[dict(row) for row in CONTACTS.astype(object).to_dict("records")],
                     {"id": "003000000000009AAA", "email": "dup@x.com", "last_modified_date": "2024-06-01T00:00:00Z"})
    rebuilt = match_prospects(prospects({"prospect_id": "p3", "email": "dup@x.com"}), LEADS, newer, manual)
    assert rows_of(first.matched, "crm_id", "matched_by") == rows_of(rebuilt.matched, "crm_id", "matched_by") == [
        (L1, "manual")]


def test_deleted_prospects_match_nothing_but_their_records_are_not_offered_for_creation():
    result = match({"prospect_id": "p1", "crm_id": C1, "is_deleted": True}, {"prospect_id": "p4", "email": "twin@x.com",
                                                                              "is_deleted": True})
    assert result.matched.empty
    assert C1 not in set(result.crm_without_prospect["crm_id"])


def test_live_unconverted_records_no_prospect_holds_are_listed():
    result = match({"prospect_id": "p1", "crm_id": C1}, {"prospect_id": "p9", "crm_id": L3})
    # C1 and L4 are held; C3 and L3 are deleted; L2 is converted.
    assert rows_of(result.crm_without_prospect, "crm_id", "crm_type") == [
        (C2, "Contact"), (L1, "Lead"), (L6, "Lead"), (L5, "Lead")]


def test_with_nothing_ambiguous_the_report_has_the_columns_and_types_of_one_with_rows():
    ambiguous = match({"prospect_id": "p3", "email": "dup@x.com"}).ambiguous
    clear = match({"prospect_id": "p2", "email": "new@x.com"}).ambiguous
    assert len(ambiguous) and clear.empty
    assert dict(clear.dtypes) == dict(ambiguous.dtypes)


def test_the_columns_matching_reads_of_leads_and_contacts_match_as_the_whole_tables_do():
    """matched_prospects reads only PEOPLE_SOURCE_COLUMNS of the CRM tables: the same matches."""
    from crm_pipelines.core.matching.people import PEOPLE_SOURCE_COLUMNS

    def pruned(frame):
        return frame[[c for c in frame.columns if c in PEOPLE_SOURCE_COLUMNS]]

    people = prospects({"prospect_id": "p1", "email": "dup@x.com"}, {"prospect_id": "p8", "crm_id": L2},
                       {"prospect_id": "p9", "crm_id": L3}, {"prospect_id": "p10", "email": "twin@x.com"},
                       {"prospect_id": "p11", "email": "new@x.com"})
    whole = match_prospects(people, LEADS, CONTACTS, None, match_by_email=True)
    narrow = match_prospects(people, pruned(LEADS), pruned(CONTACTS), None, match_by_email=True)
    assert len(pruned(LEADS).columns) < len(LEADS.columns)
    pd.testing.assert_frame_equal(narrow.matched, whole.matched)
    pd.testing.assert_frame_equal(narrow.crm_without_prospect, whole.crm_without_prospect)
    pd.testing.assert_frame_equal(narrow.ambiguous, whole.ambiguous)
