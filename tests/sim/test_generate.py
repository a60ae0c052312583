"""Generated org data: deterministic, referentially whole, and as messy as real CRMs are."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.sim.generate import (
    DATE_DTYPE, DATETIME_DTYPE, SCALES, STRING_DTYPE, OrgData, column_dtype, company_codes, empty_table,
    generate_org,
)
from crm_pipelines.sim.ids import is_valid_id, org_id
from crm_pipelines.sim.schema import OBJECTS

PUBLIC_DOMAINS = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com"}


@pytest.fixture(scope="module")
def tiny() -> OrgData:
    return generate_org("acme", "tiny", seed=1)


@pytest.fixture(scope="module")
def small() -> OrgData:
    return generate_org("globex", "small", seed=7)


@pytest.fixture(params=["tiny", "small"])
def org(request: pytest.FixtureRequest, tiny: OrgData, small: OrgData) -> OrgData:
    return tiny if request.param == "tiny" else small


def live(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["IsDeleted"]]


def ids(org: OrgData, name: str) -> set[str]:
    return set(org.tables[name]["Id"])


# --- shape -------------------------------------------------------------------------------------

def test_tables_hold_every_object_with_exactly_the_schema_columns(org: OrgData) -> None:
    assert list(org.tables) == list(OBJECTS)
    for name, table in org.tables.items():
        assert list(table.columns) == OBJECTS[name].field_names(), name


def test_column_dtypes_follow_field_types(org: OrgData) -> None:
    for name, table in org.tables.items():
        for spec in OBJECTS[name].fields:
            assert table[spec.name].dtype == column_dtype(spec), (name, spec.name)
    contact = org.tables["Contact"]
    assert contact["Email"].dtype == STRING_DTYPE and contact["Email"].isna().any()
    assert contact["SystemModstamp"].dtype == DATETIME_DTYPE
    assert org.tables["Opportunity"]["CloseDate"].dtype == DATE_DTYPE
    assert contact["HasOptedOutOfEmail"].dtype == np.dtype(bool)
    assert contact["Lead_Score__c"].dtype == np.dtype("float64")


def test_empty_table_has_the_generated_columns_and_dtypes(tiny: OrgData) -> None:
    empty = empty_table("lead")
    assert len(empty) == 0
    assert (empty.dtypes == tiny.tables["Lead"].dtypes).all()


def test_tiny_has_the_demo_sizes(tiny: OrgData) -> None:
    sizes = {name: len(table) for name, table in tiny.tables.items()}
    assert {k: sizes[k] for k in ("User", "Account", "Contact", "Lead", "Opportunity", "Campaign",
                                  "Task")} == {
        "User": 8, "Account": 40, "Contact": 150, "Lead": 120, "Opportunity": 30, "Campaign": 6,
        "Task": 40}
    assert 40 <= sizes["OpportunityContactRole"] <= 80
    assert 40 <= sizes["AccountTeamMember"] <= 80


def test_small_has_the_small_sizes(small: OrgData) -> None:
    sizes = {name: len(table) for name, table in small.tables.items()}
    assert (sizes["User"], sizes["Account"], sizes["Contact"], sizes["Lead"],
            sizes["Opportunity"]) == (50, 1_000, 6_000, 4_000, 1_500)


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale 'huge'"):
        generate_org("acme", "huge")  # type: ignore[arg-type]


# --- ids ---------------------------------------------------------------------------------------

def test_ids_are_valid_unique_and_carry_the_object_key_prefix(org: OrgData) -> None:
    for name, table in org.tables.items():
        values = table["Id"]
        assert values.is_unique, name
        assert values.str.len().eq(18).all() and values.str[:3].eq(OBJECTS[name].key_prefix).all()
        assert all(is_valid_id(v) for v in values.iloc[:200]), name


def test_rows_come_in_id_order_and_ids_follow_creation(org: OrgData) -> None:
    for name, table in org.tables.items():
        assert table["Id"].is_monotonic_increasing, name
        assert table["CreatedDate"].is_monotonic_increasing, name


def test_different_orgs_have_disjoint_ids(tiny: OrgData) -> None:
    other = generate_org("globex", "tiny", seed=1)
    assert not ids(tiny, "Contact") & ids(other, "Contact")
    assert tiny.org_id == org_id("acme") != other.org_id


# --- determinism -------------------------------------------------------------------------------

def test_same_org_scale_and_seed_give_identical_tables(tiny: OrgData) -> None:
    again = generate_org("acme", "tiny", seed=1)
    assert again.now == tiny.now
    for name in tiny.tables:
        pd.testing.assert_frame_equal(again.tables[name], tiny.tables[name], check_exact=True)


def test_a_different_seed_gives_different_data(tiny: OrgData) -> None:
    other = generate_org("acme", "tiny", seed=2)
    assert not other.tables["Contact"]["Email"].equals(tiny.tables["Contact"]["Email"])


def test_a_different_org_gives_different_data(tiny: OrgData) -> None:
    other = generate_org("initech", "tiny", seed=1)
    assert not other.tables["Contact"]["Email"].equals(tiny.tables["Contact"]["Email"])


def test_now_is_fixed_by_the_seed(tiny: OrgData) -> None:
    assert tiny.now == pd.Timestamp("2026-06-01T12:00:00.000Z")
    assert generate_org("acme", "tiny", seed=61).now == pd.Timestamp("2026-06-01T12:01:00.000Z")


# --- references --------------------------------------------------------------------------------

def test_every_reference_points_at_a_record_of_its_target_object(org: OrgData) -> None:
    for name, table in org.tables.items():
        for spec in OBJECTS[name].fields:
            if spec.sf_type != "reference":
                continue
            targets = set().union(*(ids(org, t) for t in spec.reference_to))
            values = set(table[spec.name].dropna())
            assert values <= targets, (name, spec.name, sorted(values - targets)[:3])


def test_every_owner_is_a_user(org: OrgData) -> None:
    users = ids(org, "User")
    for name in ("Account", "Contact", "Lead", "Opportunity", "Campaign", "Task"):
        assert org.tables[name]["OwnerId"].notna().all(), name
        assert set(org.tables[name]["OwnerId"]) <= users, name


def test_live_children_sit_on_live_accounts(org: OrgData) -> None:
    live_accounts = set(live(org.tables["Account"])["Id"])
    for name in ("Contact", "Opportunity"):
        assert set(live(org.tables[name])["AccountId"].dropna()) <= live_accounts, name


# --- users and teams ---------------------------------------------------------------------------

def test_users_form_a_hierarchy_of_teams(org: OrgData) -> None:
    users = org.tables["User"]
    assert users["ManagerId"].isna().sum() == 1  # the head of sales
    reports = users["ManagerId"].value_counts()
    managers_of_teams = reports[reports >= 2]
    assert len(managers_of_teams) >= 2
    assert (users["ManagerId"] != users["Id"]).all()


def test_some_users_are_inactive_and_still_own_records(org: OrgData) -> None:
    users = org.tables["User"]
    inactive = set(users.loc[~users["IsActive"], "Id"])
    assert 0 < len(inactive) < len(users) // 4
    owners = pd.concat([org.tables[n]["OwnerId"] for n in ("Account", "Contact", "Lead")])
    assert owners.isin(inactive).any()


def test_account_team_members_do_not_own_the_account(org: OrgData) -> None:
    team = org.tables["AccountTeamMember"]
    owner = team["AccountId"].map(org.tables["Account"].set_index("Id")["OwnerId"])
    assert (team["UserId"] != owner).all()
    assert not team.duplicated(["AccountId", "UserId"]).any()


def test_account_team_members_often_share_the_owners_manager(org: OrgData) -> None:
    team = org.tables["AccountTeamMember"]
    manager = org.tables["User"].set_index("Id")["ManagerId"]
    owner = team["AccountId"].map(org.tables["Account"].set_index("Id")["OwnerId"])
    same_manager = team["UserId"].map(manager).eq(owner.map(manager))
    assert same_manager.mean() > 0.25


def test_contacts_are_mostly_owned_by_their_accounts_owner(org: OrgData) -> None:
    contacts = org.tables["Contact"].dropna(subset=["AccountId"])
    owner = contacts["AccountId"].map(org.tables["Account"].set_index("Id")["OwnerId"])
    share = (contacts["OwnerId"] == owner).mean()
    assert 0.7 < share < 0.97


# --- merged, deleted, converted ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["Account", "Contact", "Lead"])
def test_merged_losers_are_deleted_and_point_at_live_winners(org: OrgData, name: str) -> None:
    table = org.tables[name].set_index("Id")
    losers = table[table["MasterRecordId"].notna()]
    assert len(losers) > 0
    assert losers["IsDeleted"].all()
    winners = table.loc[losers["MasterRecordId"]]
    assert not winners["IsDeleted"].any() and winners["MasterRecordId"].isna().all()
    assert (winners["Name"].to_numpy() == losers["Name"].to_numpy()).all()


def test_every_object_with_deletes_has_plain_deleted_rows(org: OrgData) -> None:
    for name in ("Account", "Contact", "Lead", "Opportunity", "AccountTeamMember",
                 "OpportunityContactRole", "Task"):
        table = org.tables[name]
        plain = table["IsDeleted"]
        if "MasterRecordId" in table:
            plain &= table["MasterRecordId"].isna()
        assert plain.sum() > 0, name


def test_converted_leads_point_at_their_contact_and_its_account(org: OrgData) -> None:
    leads = org.tables["Lead"]
    converted = leads[leads["IsConverted"]]
    assert len(converted) > 0
    assert (converted["Status"] == "Closed - Converted").all()
    assert converted["ConvertedDate"].notna().all() and converted["ConvertedContactId"].notna().all()
    assert converted["ConvertedAccountId"].notna().all() and not converted["IsDeleted"].any()
    contacts = org.tables["Contact"].set_index("Id").loc[converted["ConvertedContactId"]]
    on_account = contacts["AccountId"].notna().to_numpy()
    assert (contacts["AccountId"].to_numpy()[on_account]
            == converted["ConvertedAccountId"].to_numpy()[on_account]).all()
    assert (contacts["LastName"].to_numpy() == converted["LastName"].to_numpy()).all()
    assert converted["ConvertedDate"].le(converted["LastModifiedDate"].dt.tz_localize(None)).all()


def test_converted_opportunities_belong_to_the_converted_account(org: OrgData) -> None:
    leads = org.tables["Lead"].dropna(subset=["ConvertedOpportunityId"])
    deal_account = leads["ConvertedOpportunityId"].map(
        org.tables["Opportunity"].set_index("Id")["AccountId"])
    assert (deal_account == leads["ConvertedAccountId"]).all()


def test_unconverted_leads_never_carry_conversion_fields(org: OrgData) -> None:
    leads = org.tables["Lead"]
    rest = leads[~leads["IsConverted"]]
    assert (rest["Status"] != "Closed - Converted").all()
    assert rest[["ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
                 "ConvertedOpportunityId"]].isna().all().all()


# --- opportunities, roles, campaigns, tasks ----------------------------------------------------

def test_closed_and_won_agree_with_the_stage(org: OrgData) -> None:
    deals = org.tables["Opportunity"]
    stage = deals["StageName"]
    assert (deals["IsClosed"] == stage.isin(["Closed Won", "Closed Lost"])).all()
    assert (deals["IsWon"] == (stage == "Closed Won")).all()
    assert deals["IsClosed"].any() and (~deals["IsClosed"]).any() and deals["IsWon"].any()
    assert (deals.loc[stage == "Closed Won", "Probability"] == 100).all()
    assert (deals.loc[stage == "Closed Lost", "Probability"] == 0).all()


def test_closed_deals_closed_in_the_past(org: OrgData) -> None:
    deals = org.tables["Opportunity"]
    closed = deals[deals["IsClosed"]]
    assert (closed["CloseDate"] <= org.now.tz_localize(None)).all()


def test_each_deal_has_at_most_one_primary_contact_role(org: OrgData) -> None:
    roles = org.tables["OpportunityContactRole"]
    assert roles.groupby("OpportunityId")["IsPrimary"].sum().eq(1).all()


def test_contact_roles_name_contacts_of_the_deals_account(org: OrgData) -> None:
    roles = org.tables["OpportunityContactRole"]
    deal_account = roles["OpportunityId"].map(org.tables["Opportunity"].set_index("Id")["AccountId"])
    contact_account = roles["ContactId"].map(org.tables["Contact"].set_index("Id")["AccountId"])
    assert (deal_account == contact_account).all()


def test_campaigns_are_active_and_not(org: OrgData) -> None:
    active = org.tables["Campaign"]["IsActive"]
    assert active.any() and (~active).any()
    campaigns = org.tables["Campaign"]
    assert (campaigns["EndDate"] > campaigns["StartDate"]).all()


def test_tasks_on_leads_relate_to_nothing(org: OrgData) -> None:
    tasks = org.tables["Task"]
    on_lead = tasks["WhoId"].str.startswith("00Q")
    assert on_lead.any() and tasks.loc[on_lead, "WhatId"].isna().all()


# --- timestamps --------------------------------------------------------------------------------

def test_timestamps_are_ordered_and_before_now(org: OrgData) -> None:
    for name, table in org.tables.items():
        created, modified = table["CreatedDate"], table["LastModifiedDate"]
        stamp = table["SystemModstamp"]
        assert (created <= modified).all() and (modified <= stamp).all(), name
        assert (stamp < org.now).all(), name


def test_timestamps_have_millisecond_precision(org: OrgData) -> None:
    for name, table in org.tables.items():
        for column in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            nanos = table[column].astype("int64")
            assert (nanos % 1_000_000 == 0).all(), (name, column)
    # Not all on whole seconds either: real stamps carry milliseconds.
    assert (org.tables["Contact"]["CreatedDate"].astype("int64") % 1_000_000_000 != 0).any()


def test_dates_are_at_midnight(org: OrgData) -> None:
    for name, column in (("Opportunity", "CloseDate"), ("Lead", "ConvertedDate"),
                         ("Campaign", "StartDate"), ("Task", "ActivityDate")):
        values = org.tables[name][column].dropna()
        assert (values == values.dt.normalize()).all(), (name, column)


@pytest.mark.parametrize("name", ["Account", "Contact", "Lead"])
def test_bulk_updates_give_many_records_one_system_modstamp(org: OrgData, name: str) -> None:
    stamps = org.tables[name]["SystemModstamp"].value_counts()
    assert stamps.iloc[0] >= 3


def test_small_has_a_bulk_update_larger_than_a_small_query_page(small: OrgData) -> None:
    assert small.tables["Contact"]["SystemModstamp"].value_counts().iloc[0] >= 20


# --- emails and other mess ---------------------------------------------------------------------

def test_some_leads_share_an_email_with_a_contact_without_being_converted(org: OrgData) -> None:
    leads = live(org.tables["Lead"])
    leads = leads[~leads["IsConverted"]]
    contact_emails = set(live(org.tables["Contact"])["Email"].dropna().str.lower())
    assert leads["Email"].dropna().str.lower().isin(contact_emails).sum() >= 2


def test_some_live_leads_share_an_email(org: OrgData) -> None:
    emails = live(org.tables["Lead"])["Email"].dropna().str.lower()
    assert emails.duplicated().sum() >= 2


def test_some_emails_are_badly_cased(org: OrgData) -> None:
    for name in ("Contact", "Lead"):
        emails = org.tables[name]["Email"].dropna()
        assert (emails != emails.str.lower()).sum() >= 2, name


def test_some_emails_use_public_mail_domains(org: OrgData) -> None:
    for name in ("Contact", "Lead"):
        domains = org.tables[name]["Email"].dropna().str.split("@").str[1].str.lower()
        assert domains.isin(PUBLIC_DOMAINS).sum() >= 2, name


def test_some_emails_are_empty(org: OrgData) -> None:
    for name in ("Contact", "Lead"):
        assert org.tables[name]["Email"].isna().sum() >= 2, name


def test_work_emails_use_the_accounts_domain(org: OrgData) -> None:
    contacts = live(org.tables["Contact"]).dropna(subset=["Email", "AccountId"])
    websites = contacts["AccountId"].map(org.tables["Account"].set_index("Id")["Website"])
    domain = contacts["Email"].str.split("@").str[1].str.lower()
    site = websites.str.replace(r"^(https?://)?(www\.)?", "", regex=True).str.rstrip("/")
    assert (domain == site).mean() > 0.6


def test_some_accounts_share_a_website_domain_and_some_have_none(org: OrgData) -> None:
    accounts = live(org.tables["Account"])
    site = accounts["Website"].str.replace(r"^(https?://)?(www\.)?", "", regex=True)
    assert site.str.rstrip("/").dropna().duplicated().any()
    assert accounts["Website"].isna().any()


def test_lead_scores_are_whole_numbers_from_0_to_100_on_some_records(org: OrgData) -> None:
    for name in ("Contact", "Lead"):
        score = org.tables[name]["Lead_Score__c"]
        present = score.dropna()
        assert 0 < len(present) < len(score), name
        assert present.between(0, 100).all() and (present == present.round()).all(), name


def test_app_external_id_is_empty_until_the_app_pushes(org: OrgData) -> None:
    for name in ("Contact", "Lead", "Campaign", "Task"):
        assert org.tables[name]["App_External_Id__c"].isna().all(), name


def test_person_names_join_first_and_last(org: OrgData) -> None:
    contacts = org.tables["Contact"]
    expected = (contacts["FirstName"] + " " + contacts["LastName"]).fillna(contacts["LastName"])
    assert (contacts["Name"] == expected).all()
    assert contacts["FirstName"].isna().any()


DIGEST_SCRIPT = """
import hashlib, sys
import pandas as pd
from crm_pipelines.sim.generate import generate_org
digest = hashlib.sha256()
for name, table in generate_org("acme", "tiny", seed=1).tables.items():
    digest.update(name.encode())
    digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
print(digest.hexdigest())
"""


def test_tables_are_identical_in_another_process_with_another_hash_seed() -> None:
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run([sys.executable, "-c", DIGEST_SCRIPT], capture_output=True, text=True,
                       check=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": hash_seed},
                       ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


def test_xlarge_is_large_grown_alike_to_about_five_million_synced_records() -> None:
    large, xlarge = SCALES["large"], SCALES["xlarge"]
    counts = ("users", "accounts", "contacts", "leads", "opportunities", "campaigns", "tasks")
    assert {getattr(xlarge, c) / getattr(large, c) for c in counts} == {2.8}
    assert (xlarge.team_members_per_account, xlarge.roles_per_opportunity) == (
        large.team_members_per_account, large.roles_per_opportunity)
    # Team members and contact roles come out at about 1.93 and 1.94 a record at large.
    synced = (xlarge.users + xlarge.accounts * 1.93 + xlarge.accounts + xlarge.contacts + xlarge.leads
              + xlarge.opportunities * 1.94 + xlarge.opportunities + xlarge.campaigns)
    assert 4.8e6 < synced < 5.2e6


def test_company_codes_are_distinct_and_repeat_names_only_when_there_are_more_companies_than_names() -> None:
    code, repeat = company_codes(np.random.default_rng(3), 40, 100)
    assert (np.random.default_rng(3).choice(100, 40, replace=False) == code).all()  # as up to large
    assert not repeat.any()
    code, repeat = company_codes(np.random.default_rng(3), 250, 100)
    assert len(set(zip(code, repeat))) == 250 and code.max() < 100 and set(repeat) == {0, 1, 2}
