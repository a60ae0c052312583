"""The app data seeded for a simulated org: deterministic, fits the app tables, holds each case."""

import pandas as pd
import pytest

from crm_pipelines.app_seed import app_data_for_org
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
