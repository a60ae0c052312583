"""Matching before the CRM's records are extracted (a first sync deferred by the API budget):
nothing matches and nothing fails."""

import pandas as pd

from crm_pipelines.core.matching import match_accounts, match_prospects

NO_PEOPLE = pd.DataFrame({
    "id": pd.Series(dtype="string"), "email": pd.Series(dtype="string"), "is_deleted": pd.Series(dtype="boolean"),
    "last_modified_date": pd.Series(dtype="datetime64[us, UTC]"), "master_record_id": pd.Series(dtype="string"),
})
NO_ACCOUNTS = pd.DataFrame({
    "id": pd.Series(dtype="string"), "name": pd.Series(dtype="string"), "website": pd.Series(dtype="string"),
    "is_deleted": pd.Series(dtype="boolean"), "last_modified_date": pd.Series(dtype="datetime64[us, UTC]"),
    "master_record_id": pd.Series(dtype="string"),
})
OVERRIDES = pd.DataFrame({"entity": ["prospect", "company"], "app_id": ["p1", "c1"],
                          "crm_id": ["003000000000001AAA", "001000000000001AAA"],
                          "confirmed_at": pd.to_datetime(["2026-03-01", "2026-03-01"], utc=True)})


def test_prospects_match_nothing_in_a_crm_with_no_leads_or_contacts_yet():
    prospects = pd.DataFrame({"prospect_id": ["p1", "p2"], "crm_id": ["003000000000001AAA", None],
                              "email": ["ann@acme.com", "bob@acme.com"]})
    found = match_prospects(prospects, NO_PEOPLE.assign(is_converted=pd.Series(dtype="boolean")), NO_PEOPLE, OVERRIDES)
    assert found.matched.empty
    assert found.unmatched_prospects.values.tolist() == [["p1", "crm_id_not_found"], ["p2", "no_crm_record_with_email"]]
    assert found.stale_overrides["reason"].tolist() == ["crm_record_not_found_or_deleted"]


def test_companies_match_nothing_in_a_crm_with_no_accounts_yet():
    companies = pd.DataFrame({"company_id": ["c1", "c2"], "crm_account_id": ["001000000000001AAA", None],
                              "name": ["Acme", "Globex"], "website": [None, "globex.com"]})
    found = match_accounts(companies, NO_ACCOUNTS, OVERRIDES)
    assert found.matched.empty
    assert found.unmatched_companies.values.tolist() == [["c1", "crm_account_id_not_found"],
                                                         ["c2", "no_account_with_domain_or_name"]]
    assert found.stale_overrides["reason"].tolist() == ["crm_record_not_found_or_deleted"]
