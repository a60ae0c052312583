"""F1: Accounts are pulled into their matched companies; the domain follows the website."""

import pandas as pd

from crm_pipelines.core.field_sync import apply_company_changes, company_changes
from crm_pipelines.core.matching import match_accounts
from tests.core.field_sync.sync_fixtures import FEB, JAN, changes

A = "001000000000001AAA"
ACCOUNTS = pd.DataFrame({"id": [A], "name": ["Acme Inc"], "website": ["https://www.acme.io/"], "industry": [None],
                         "is_deleted": [False], "last_modified_date": pd.to_datetime([JAN], utc=True)})
COMPANIES = pd.DataFrame({"company_id": ["c1"], "crm_account_id": [A], "name": ["Acme"], "website": ["acme.com"],
                          "domain": ["acme.com"], "industry": ["Software"],
                          "updated_at": pd.to_datetime([FEB], utc=True)})
MATCHED = pd.DataFrame({"company_id": ["c1"], "crm_account_id": [A], "matched_by": ["id"]})


def test_account_values_are_pulled_even_into_a_newer_company_and_the_domain_follows():
    found = company_changes(MATCHED, COMPANIES, ACCOUNTS)
    assert changes(found.changes) == [
        ("c1", "name", "Acme", "Acme Inc", "pull"),
        ("c1", "website", "acme.com", "https://www.acme.io/", "pull"),
        ("c1", "industry", "Software", None, "pull"),
        ("c1", "domain", "acme.com", "acme.io", "pull"),
    ]
    applied = apply_company_changes(COMPANIES, found.changes)
    assert applied[["name", "domain"]].values.tolist() == [["Acme Inc", "acme.io"]]


def test_a_company_matched_by_name_keeps_the_accounts_id_so_the_next_match_is_by_id():
    # Two Accounts share the website's domain; the company matched the older one by its name.
    other = "001000000000002AAA"
    accounts = pd.DataFrame({"id": [A, other], "name": ["Acme Inc", "Zenith"], "website": ["acme.io", "acme.io"],
                             "industry": [None, None], "is_deleted": [False, False],
                             "last_modified_date": pd.to_datetime([JAN, FEB], utc=True)})
    company = pd.DataFrame({"company_id": ["c1"], "crm_account_id": [None], "name": ["ACME"], "website": [None],
                            "domain": [None], "industry": [None], "updated_at": pd.to_datetime([JAN], utc=True)})
    first = match_accounts(company, accounts).matched
    assert first[["crm_account_id", "matched_by"]].values.tolist() == [[A, "name"]]
    found = company_changes(first, company, accounts)
    assert changes(found.changes)[0] == ("c1", "crm_account_id", None, A, "matched_by_name")
    synced = apply_company_changes(company, found.changes)
    assert synced[["crm_account_id", "domain"]].values.tolist() == [[A, "acme.io"]]
    # The website it pulled would match Zenith (the newer Account of that domain); the id holds.
    assert match_accounts(synced, accounts).matched[["crm_account_id", "matched_by"]].values.tolist() == [[A, "id"]]
