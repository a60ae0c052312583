"""The app data seeded for a simulated org: deterministic, fits the app tables, holds each case."""

import pandas as pd
import pytest

from crm_pipelines.app_seed import AppSizes, app_data_for_org, app_data_for_org_at_size
from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.sim.simulator import Simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables


@pytest.fixture(scope="module")
def org():
    return Simulator.generated(["acme"], scale="tiny", seed=3).org("acme")


def _ids(frame: pd.DataFrame, column: str, prefix: str) -> pd.DataFrame:
    return frame.loc[frame[column].str.startswith(prefix)]


def test_the_same_seed_gives_the_same_app_data(org):
    first, again = app_data_for_org(org, seed=5), app_data_for_org(org, seed=5)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)


def test_seeded_tables_fit_the_app_tables(org, sqlite_db):
    data = app_data_for_org(org, seed=5)
    write_app_tables(sqlite_db, "acme", data)
    assert len(read_app_table(sqlite_db, "acme", "prospects")) == len(data["prospects"])


def test_app_users_match_crm_users_by_email_some_cased_differently_and_two_match_nobody(org):
    users = app_data_for_org(org, seed=5)["app_users"]
    crm_emails = set(normalize_emails(org.rows("User")["Email"]).dropna())
    matching = _ids(users, "user_id", "u-0")
    assert set(normalize_emails(matching["email"])) <= crm_emails
    assert (matching["email"] != matching["email"].str.lower()).any()
    assert _ids(users, "user_id", "u-nomatch-")["email"].map(lambda e: e.lower() not in crm_emails).all()


def test_prospects_hold_live_crm_ids_or_only_a_crm_email_or_are_new(org):
    prospects = app_data_for_org(org, seed=5)["prospects"]
    live = pd.concat([org.rows("Contact", include_deleted=False), org.rows("Lead", include_deleted=False)])
    assert set(_ids(prospects, "prospect_id", "p-id-")["crm_id"]) <= set(live["Id"])
    by_email = _ids(prospects, "prospect_id", "p-email-")
    assert by_email["crm_id"].isna().all()
    assert set(normalize_emails(by_email["email"])) <= set(normalize_emails(live["Email"]).dropna())
    assert (by_email["email"] != by_email["email"].str.strip().str.lower()).any()  # badly cased or padded
    assert normalize_emails(by_email["email"]).duplicated().any()
    new = _ids(prospects, "prospect_id", "p-new-")
    assert new["crm_id"].isna().all() and new[["last_name", "company", "email"]].notna().all().all()
    incomplete = _ids(prospects, "prospect_id", "p-incomplete-")
    assert (incomplete["last_name"].isna() | incomplete["company"].isna()).all()


def test_companies_carry_an_account_id_a_website_a_name_or_nothing_known(org):
    companies = app_data_for_org(org, seed=5)["companies"]
    accounts = org.rows("Account", include_deleted=False)
    assert set(_ids(companies, "company_id", "c-id-")["crm_account_id"]) <= set(accounts["Id"])
    assert _ids(companies, "company_id", "c-domain-")[["crm_account_id", "name"]].isna().all().all()
    assert _ids(companies, "company_id", "c-name-")[["crm_account_id", "website"]].isna().all().all()
    assert len(_ids(companies, "company_id", "c-none-")) == 2


def test_cadence_memberships_are_active_and_their_touches_point_at_them(org):
    data = app_data_for_org(org, seed=5)
    memberships, touches = data["cadence_memberships"], data["cadence_touches"]
    assert len(memberships) > 0 and (memberships["status"] == "active").all()
    assert set(touches["membership_id"]) <= set(memberships["membership_id"])
    assert set(data["activity_events"]["prospect_id"]) <= set(data["prospects"]["prospect_id"])


# --- the app seeded at size (issue 17's benchmark: 2,000 users, 200,000 prospects at large) ---------

SIZES = AppSizes(users=120, prospects=2_001)


@pytest.fixture(scope="module")
def small_org():
    return Simulator.generated(["acme"], scale="small", seed=3).org("acme")


@pytest.fixture(scope="module")
def at_size(small_org):
    return app_data_for_org_at_size(small_org, SIZES, seed=5)


def test_the_app_at_size_is_deterministic_and_fits_the_app_tables(small_org, at_size, sqlite_db):
    again = app_data_for_org_at_size(small_org, SIZES, seed=5)
    for name, frame in at_size.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    written = write_app_tables(sqlite_db, "acme", at_size)
    assert (written["app_users"], written["prospects"]) == (120, 2_001)


def test_the_app_at_size_has_its_users_those_of_the_crm_matching_by_email(small_org, at_size):
    users = at_size["app_users"]
    assert len(users) == SIZES.users and users["user_id"].is_unique
    crm_emails = set(normalize_emails(small_org.rows("User")["Email"]).dropna())
    matching = _ids(users, "user_id", "u-0")
    assert 0 < len(matching) < SIZES.users
    assert set(normalize_emails(matching["email"])) <= crm_emails
    assert not set(normalize_emails(_ids(users, "user_id", "u-nomatch-")["email"])) & crm_emails


def test_half_the_prospects_at_size_match_the_crm_by_id_or_email_and_half_are_new(small_org, at_size):
    prospects = at_size["prospects"]
    assert len(prospects) == 2_001 and prospects["prospect_id"].is_unique
    live = pd.concat([small_org.rows("Contact", include_deleted=False), small_org.rows("Lead", include_deleted=False)])
    crm_emails = set(normalize_emails(live["Email"]).dropna())
    by_id, by_email = _ids(prospects, "prospect_id", "p-id-"), _ids(prospects, "prospect_id", "p-email-")
    new = _ids(prospects, "prospect_id", "p-new-")
    assert (len(by_id), len(by_email), len(new)) == (SIZES.by_id, SIZES.by_email, SIZES.new) == (500, 500, 1_001)
    assert set(by_id["crm_id"]) <= set(live["Id"]) and by_id["crm_id"].is_unique
    assert by_email["crm_id"].isna().all() and set(normalize_emails(by_email["email"])) <= crm_emails
    assert not normalize_emails(by_email["email"]).duplicated().any()
    assert new["crm_id"].isna().all() and not set(normalize_emails(new["email"])) & crm_emails
    assert new[["last_name", "company", "email"]].notna().all().all()


def test_the_app_at_size_refuses_more_matching_prospects_than_the_org_has_people(small_org):
    with pytest.raises(ValueError, match="fewer than the"):
        app_data_for_org_at_size(small_org, AppSizes(users=10, prospects=100_000))
