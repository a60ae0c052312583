"""Matching is a function of the data, not of the order its rows arrive in (point 4).

Every table is drawn small and full of ties: few emails, domains and names shared by many records,
few distinct modification times, duplicate app records, converted and merged Leads, manual
overrides confirmed at the same moment. The same tables in any row order give the same matches."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_pipelines.core.matching import match_accounts, match_prospects, match_users
from tests.core.matching.crm_fixtures import contacts, leads, overrides, prospects

EMAILS = ["a@x.com", "A@x.com ", "b@x.com", "c@y.com", None]
DOMAINS = ["https://x.com", "www.x.com", "y.com", "gmail.com", None]
NAMES = ["Acme", "ACME, Inc.", "Beta", "Beta GmbH", None]
TIMES = ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", None]
CONFIRMED = ["2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"]

common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:012d}AAA" for i in range(n)]


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.iloc[np.random.default_rng(seed).permutation(len(frame))].reset_index(drop=True)


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _sorted_report(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


@st.composite
def people_org(draw):
    n_contacts, n_leads = draw(st.integers(0, 6)), draw(st.integers(0, 8))
    contact_ids, lead_ids = _ids("003", n_contacts), _ids("00Q", n_leads)
    contact_rows = [{"id": i, "email": draw(st.sampled_from(EMAILS)), "is_deleted": draw(st.booleans()),
                     "last_modified_date": draw(st.sampled_from(TIMES))} for i in contact_ids]
    lead_rows = []
    for i in lead_ids:
        row = {"id": i, "email": draw(st.sampled_from(EMAILS)), "last_modified_date": draw(st.sampled_from(TIMES))}
        fate = draw(st.sampled_from(["live", "live", "deleted", "converted", "merged"]))
        if fate == "deleted":
            row["is_deleted"] = True
        elif fate == "converted" and contact_ids:
            row |= {"is_converted": True, "converted_contact_id": draw(st.sampled_from(contact_ids))}
        elif fate == "merged" and len(lead_ids) > 1:
            row |= {"is_deleted": True, "master_record_id": draw(st.sampled_from([x for x in lead_ids if x != i]))}
        lead_rows.append(row)
    known = contact_ids + lead_ids + ["00Q999999999999AAA"]
    prospect_rows = [{"prospect_id": f"p{k}", "email": draw(st.sampled_from(EMAILS)),
                      "crm_id": draw(st.one_of(st.none(), st.sampled_from(known))),
                      "is_deleted": draw(st.booleans())} for k in range(draw(st.integers(0, 8)))]
    manual = [("prospect", f"p{draw(st.integers(0, 8))}", draw(st.sampled_from(known)), draw(st.sampled_from(CONFIRMED)))
              for _ in range(draw(st.integers(0, 3)))]
    return contacts(*contact_rows), leads(*lead_rows), prospects(*prospect_rows), overrides(*manual)


@common
@given(people_org(), st.integers(0, 2**32 - 1), st.booleans())
def test_prospect_matches_do_not_depend_on_row_order(org, seed, by_email):
    crm_contacts, crm_leads, app, manual = org
    expected = match_prospects(app, crm_leads, crm_contacts, manual, match_by_email=by_email)
    again = match_prospects(_shuffled(app, seed), _shuffled(crm_leads, seed + 1), _shuffled(crm_contacts, seed + 2),
                            _shuffled(manual, seed + 3), match_by_email=by_email)
    pd.testing.assert_frame_equal(_sorted(again.matched, "prospect_id"), _sorted(expected.matched, "prospect_id"))
    pd.testing.assert_frame_equal(_sorted_report(again.ambiguous), _sorted_report(expected.ambiguous))
    pd.testing.assert_frame_equal(_sorted(again.unmatched_prospects, "prospect_id"),
                                  _sorted(expected.unmatched_prospects, "prospect_id"))
    pd.testing.assert_frame_equal(_sorted(again.crm_without_prospect, "crm_id"),
                                  _sorted(expected.crm_without_prospect, "crm_id"))


@st.composite
def account_org(draw):
    n = draw(st.integers(0, 8))
    ids = _ids("001", n)
    rows = []
    for i in ids:
        merged = len(ids) > 1 and draw(st.integers(0, 5)) == 0
        rows.append({"id": i, "name": draw(st.sampled_from(NAMES)), "website": draw(st.sampled_from(DOMAINS)),
                     "is_deleted": merged or draw(st.integers(0, 6)) == 0,
                     "master_record_id": draw(st.sampled_from([x for x in ids if x != i])) if merged else None,
                     "last_modified_date": pd.Timestamp(draw(st.sampled_from(TIMES)))})
    accounts = pd.DataFrame(rows, columns=["id", "name", "website", "is_deleted", "master_record_id",
                                           "last_modified_date"])
    known = ids + ["001999999999999AAA"]
    companies = pd.DataFrame([{"company_id": f"c{k}", "crm_account_id": draw(st.one_of(st.none(), st.sampled_from(known))),
                               "name": draw(st.sampled_from(NAMES)), "website": draw(st.sampled_from(DOMAINS))}
                              for k in range(draw(st.integers(0, 8)))],
                             columns=["company_id", "crm_account_id", "name", "website"])
    manual = [("company", f"c{draw(st.integers(0, 8))}", draw(st.sampled_from(known)), draw(st.sampled_from(CONFIRMED)))
              for _ in range(draw(st.integers(0, 3)))]
    return accounts, companies, overrides(*manual)


@common
@given(account_org(), st.integers(0, 2**32 - 1))
def test_company_matches_do_not_depend_on_row_order(org, seed):
    accounts, companies, manual = org
    expected = match_accounts(companies, accounts, manual)
    again = match_accounts(_shuffled(companies, seed), _shuffled(accounts, seed + 1), _shuffled(manual, seed + 2))
    pd.testing.assert_frame_equal(_sorted(again.matched, "company_id"), _sorted(expected.matched, "company_id"))
    pd.testing.assert_frame_equal(_sorted_report(again.ambiguous), _sorted_report(expected.ambiguous))
    pd.testing.assert_frame_equal(_sorted(again.unmatched_companies, "company_id"),
                                  _sorted(expected.unmatched_companies, "company_id"))


@st.composite
def user_org(draw):
    ids = _ids("005", draw(st.integers(0, 6)))
    crm = pd.DataFrame([{"id": i, "email": draw(st.sampled_from(EMAILS)), "is_active": draw(st.booleans()),
                         "last_modified_date": pd.Timestamp(draw(st.sampled_from(TIMES)))} for i in ids],
                       columns=["id", "email", "is_active", "last_modified_date"])
    app = pd.DataFrame([{"user_id": f"u{k}", "email": draw(st.sampled_from(EMAILS))}
                        for k in range(draw(st.integers(0, 6)))], columns=["user_id", "email"])
    manual = [("user", f"u{draw(st.integers(0, 6))}", draw(st.sampled_from(ids + ["005999999999999AAA"])),
               draw(st.sampled_from(CONFIRMED))) for _ in range(draw(st.integers(0, 3)))]
    return crm, app, overrides(*manual)


@common
@given(user_org(), st.integers(0, 2**32 - 1))
def test_user_matches_do_not_depend_on_row_order(org, seed):
    crm, app, manual = org
    expected = match_users(app, crm, manual)
    again = match_users(_shuffled(app, seed), _shuffled(crm, seed + 1), _shuffled(manual, seed + 2))
    pd.testing.assert_frame_equal(_sorted(again.matched, "user_id"), _sorted(expected.matched, "user_id"))
    pd.testing.assert_frame_equal(_sorted_report(again.ambiguous), _sorted_report(expected.ambiguous))
