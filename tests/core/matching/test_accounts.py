"""X4: companies ↔ Accounts by CRM id, then website domain, then normalized name."""

import pandas as pd

from crm_pipelines.core.matching import company_of_account, match_accounts
from tests.core.matching.crm_fixtures import at, overrides, rows_of

A, B, C, D, M, G = (f"00100000000000{i}AAA" for i in "ABCDMG")


def accounts(*rows):
    return pd.DataFrame({
        "id": [r[0] for r in rows], "name": [r[1] for r in rows], "website": [r[2] for r in rows],
        "is_deleted": [r[3] for r in rows], "master_record_id": [r[4] for r in rows],
        "last_modified_date": [at(r[5]) for r in rows],
    })


def companies(*rows):
    return pd.DataFrame({
        "company_id": [r[0] for r in rows], "crm_account_id": [r[1] for r in rows],
        "name": [r[2] for r in rows], "website": [r[3] for r in rows],
    })


ACCOUNTS = accounts(
    (A, "Acme Inc", "https://acme.com", False, None, "2024-01-01"),
    (B, "Beta AG", "www.beta.de", False, None, "2024-01-01"),
    (C, "Gamma", "gmail.com", False, None, "2024-02-01"),
    (D, "Gamma LLC", None, False, None, "2024-03-01"),
    (M, "Acme (old)", "acme.com", True, A, "2024-01-01"),   # merged into A
    (G, "Gone Ltd", "gone.com", True, None, "2024-01-01"),   # deleted
)


def test_a_stored_account_id_matches_first():
    companies_ = companies(("c1", A, "Something Else", "other.com"))
    assert rows_of(match_accounts(companies_, ACCOUNTS).matched, "company_id", "crm_account_id", "matched_by") == [
        ("c1", A, "id")]


def test_a_merged_account_is_followed_to_its_master():
    companies_ = companies(("c1", M, "Acme", None))
    assert rows_of(match_accounts(companies_, ACCOUNTS).matched, "crm_account_id", "matched_by") == [(A, "merged")]


def test_without_an_id_the_website_domain_matches_before_the_name():
    companies_ = companies(("c2", None, "Beta GmbH", "https://www.BETA.de/kontakt"))
    assert rows_of(match_accounts(companies_, ACCOUNTS).matched, "crm_account_id", "matched_by") == [(B, "domain")]


def test_a_public_mail_domain_never_matches_so_the_name_decides():
    companies_ = companies(("c3", None, "Gamma, Inc.", "gmail.com"))
    result = match_accounts(companies_, ACCOUNTS)
    # "Gamma" and "Gamma LLC" are both "gamma": the more recently modified D wins, and it is reported.
    assert rows_of(result.matched, "crm_account_id", "matched_by", "candidates", "ambiguous") == [(D, "name", 2, True)]
    assert rows_of(result.ambiguous, "key_kind", "key", "crm_account_id", "rank") == [
        ("name", "gamma", D, 1), ("name", "gamma", C, 2)]


def test_deleted_accounts_do_not_match_and_say_why():
    companies_ = companies(("c4", G, "Gone", None), ("c5", None, "Gone Ltd", "gone.com"), ("c6", None, None, None))
    result = match_accounts(companies_, ACCOUNTS)
    assert result.matched.empty
    assert rows_of(result.unmatched_companies, "company_id", "reason") == [
        ("c4", "crm_account_deleted"), ("c5", "no_account_with_domain_or_name"), ("c6", "no_domain_or_name")]


def test_a_manual_override_wins_over_the_domain():
    companies_ = companies(("c2", None, "Beta GmbH", "beta.de"))
    result = match_accounts(companies_, ACCOUNTS, overrides(("company", "c2", C, "2024-06-01")))
    assert rows_of(result.matched, "crm_account_id", "matched_by") == [(C, "manual")]


def test_live_accounts_no_company_holds_are_listed():
    companies_ = companies(("c1", A, "Acme", None))
    assert rows_of(match_accounts(companies_, ACCOUNTS).accounts_without_company, "crm_account_id") == [(B,), (C,), (D,)]


def test_each_account_links_to_one_company_preferring_manual_then_id():
    matched = pd.DataFrame({
        "company_id": ["c9", "c1", "c5", "c2"], "crm_account_id": [A, A, A, B],
        "matched_by": ["name", "id", "manual", "domain"],
    })
    assert rows_of(company_of_account(matched), "crm_account_id", "company_id") == [(A, "c5"), (B, "c2")]


def test_with_nothing_ambiguous_the_report_has_the_columns_and_types_of_one_with_rows():
    ambiguous = match_accounts(companies(("c3", None, "Gamma, Inc.", "gmail.com")), ACCOUNTS).ambiguous
    clear = match_accounts(companies(("c1", A, "Something Else", "other.com")), ACCOUNTS).ambiguous
    assert len(ambiguous) and clear.empty
    assert dict(clear.dtypes) == dict(ambiguous.dtypes)
