"""Matching and the field sync wired into the CRM sync, against the simulator over real HTTP (issue 5)."""

import pandas as pd
import pytest
import requests
from dagster import AssetKey, DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import metadata
from tests.cli_runner import invoke
from tests.sim_tenants import db_url, metadata_by_asset, register_sim_tenant, sync
from tests.store_copies import first_sync_copy

pytestmark = pytest.mark.slow

SEED = 3


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=SEED) as sim:
        yield sim


def _seeded(db, sim, org: str, **settings: str) -> None:
    register_sim_tenant(db, sim, org, **settings)
    write_app_tables(db, org, app_data_for_org(sim.org(org), seed=SEED))


def _asset_table(db, name: str, tenant: str) -> pd.DataFrame:
    return read_tenant_partition(db, metadata.tables[name], tenant)


def _kind(frame: pd.DataFrame, column: str, prefix: str) -> pd.DataFrame:
    return frame.loc[frame[column].str.startswith(prefix)]


def _cli(db, *args: str):
    result = invoke(*args, env={"CRM_PIPELINES_DB_URL": db_url(db)})
    assert result.exit_code == 0, result.output
    return result.output


def _first_synced(tmp_path_factory, sim, db) -> None:
    """Seeded acme after its first sync, made once per worker and copied (tests/store_copies.py)."""
    def first_sync(store) -> None:
        _seeded(store, sim, "acme")
        _synced(store, "acme")

    first_sync_copy(tmp_path_factory, f"matching-acme-{SEED}", sim, db, first_sync)


def _synced(db, tenant: str):
    result = sync(db, tenant)
    assert result.success
    return result


def test_a_seeded_tenants_prospects_match_as_the_seed_says(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme")
    seeded = read_app_table(sqlite_db, "acme", "prospects")
    _synced(sqlite_db, "acme")
    matched = _asset_table(sqlite_db, "matched_prospects", "acme").set_index("prospect_id")

    by_id = _kind(seeded, "prospect_id", "p-id-").set_index("prospect_id")
    assert (matched.loc[by_id.index, "matched_by"] == "id").all()
    assert (matched.loc[by_id.index, "crm_id"] == by_id["crm_id"]).all()

    by_email = _kind(seeded, "prospect_id", "p-email-").set_index("prospect_id")
    assert (matched.loc[by_email.index, "matched_by"] == "email").all()
    org = sim.org("acme")
    crm_email = pd.concat([org.rows("Contact"), org.rows("Lead")]).set_index("Id")["Email"]
    chosen = normalize_emails(crm_email.loc[matched.loc[by_email.index, "crm_id"]]).to_numpy()
    assert (chosen == normalize_emails(by_email["email"]).to_numpy()).all()

    new = seeded.loc[seeded["prospect_id"].str.match(r"p-(new|incomplete)-")]
    assert not new["prospect_id"].isin(matched.index).any()


def test_a_seeded_tenants_users_and_companies_match_as_the_seed_says(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme")
    companies = read_app_table(sqlite_db, "acme", "companies").set_index("company_id")
    _synced(sqlite_db, "acme")

    users = _asset_table(sqlite_db, "matched_users", "acme")
    assert sorted(users["user_id"]) == [f"u-00{i}" for i in range(1, len(users) + 1)]
    assert set(users["matched_by"]) == {"email"}

    accounts = _asset_table(sqlite_db, "matched_accounts", "acme").set_index("company_id")
    for kind in ("id", "domain", "name"):
        held = accounts.loc[accounts.index.str.startswith(f"c-{kind}-")]
        assert len(held) == companies.index.str.startswith(f"c-{kind}-").sum()
        assert set(held["matched_by"]) == {kind}
    ids = companies.loc[companies.index.str.startswith("c-id-"), "crm_account_id"]
    assert (accounts.loc[ids.index, "crm_account_id"] == ids).all()
    assert not accounts.index.str.startswith("c-none-").any()


def test_a_manual_match_confirmed_from_the_cli_wins_and_survives_every_rebuild(sqlite_db, sim, tmp_path_factory):
    _first_synced(tmp_path_factory, sim, sqlite_db)  # the CLI only confirms CRM records the warehouse holds
    contact = sim.org("acme").rows("Contact", include_deleted=False)["Id"].iloc[-1]
    _cli(sqlite_db, "match", "confirm", "--tenant", "acme", "--prospect", "p-new-1", "--crm-id", contact)
    for _ in range(2):
        _synced(sqlite_db, "acme")
        matched = _asset_table(sqlite_db, "matched_prospects", "acme").set_index("prospect_id")
        assert (matched.loc["p-new-1", "crm_id"], matched.loc["p-new-1", "matched_by"]) == (contact, "manual")
    prospect = read_app_table(sqlite_db, "acme", "prospects").set_index("prospect_id").loc["p-new-1"]
    assert (prospect["crm_id"], prospect["crm_type"]) == (contact, "Contact")


def test_a_crm_edit_through_the_control_api_changes_the_prospect_at_the_next_sync_and_is_logged_with_old_and_new_value(sqlite_db, sim, tmp_path_factory):
    _first_synced(tmp_path_factory, sim, sqlite_db)
    before = read_app_table(sqlite_db, "acme", "prospects").set_index("prospect_id").loc["p-id-0002"]
    control = f"{sim.base_url}/_sim/orgs/acme"
    with requests.Session() as http:
        http.trust_env = False  # loopback: no proxy
        http.post(f"{control}/clock/advance", json={"seconds": 3600}).raise_for_status()
        http.patch(f"{control}/sobjects/{before['crm_type']}/{before['crm_id']}",
                   json={"Title": "Chief Widget Officer"}).raise_for_status()

    _synced(sqlite_db, "acme")
    after = read_app_table(sqlite_db, "acme", "prospects").set_index("prospect_id").loc["p-id-0002"]
    assert after["title"] == "Chief Widget Officer"
    log = read_log(sqlite_db, "acme", record="p-id-0002")
    title = log.loc[log["field"] == "title"].iloc[-1]
    assert (title["old_value"], title["new_value"]) == (before["title"], "Chief Widget Officer")
    assert (title["direction"], title["reason"], title["crm_id"]) == ("crm_to_app", "crm_newer", before["crm_id"])
    assert title["run_id"] is not pd.NA and title["run_id"]

    shown = _cli(sqlite_db, "log", "--tenant", "acme", "--record", "p-id-0002").splitlines()
    assert any("title" in line and f"{before['title']} -> Chief Widget Officer" in line for line in shown)


def test_a_second_sync_with_nothing_changed_applies_nothing(sqlite_db, sim, tmp_path_factory):
    _first_synced(tmp_path_factory, sim, sqlite_db)
    again = metadata_by_asset(_synced(sqlite_db, "acme"))
    for name in ("synced_prospects", "synced_companies", "synced_campaigns", "synced_opportunities",
                 "synced_field_labels"):
        assert again[name]["changes_applied"] == 0, name


def test_with_crm_to_app_off_the_app_is_left_as_it_was(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme", **{"sync.crm_to_app": "false"})
    seeded = read_app_table(sqlite_db, "acme", "prospects")
    md = metadata_by_asset(_synced(sqlite_db, "acme"))
    assert md["synced_prospects"]["changes_applied"] == 0
    assert "nothing applied" in md["synced_prospects"]["crm_to_app"]
    pd.testing.assert_frame_equal(read_app_table(sqlite_db, "acme", "prospects"), seeded)
    assert read_log(sqlite_db, "acme").empty


def test_no_secret_reaches_the_connector_log_or_any_metadata(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme")
    secret = "acme-secret"  # the client secret register_sim_tenant puts in the environment
    md = metadata_by_asset(_synced(sqlite_db, "acme"))
    assert not [(asset, key) for asset, entries in md.items() for key, value in entries.items() if secret in str(value)]
    log = read_log(sqlite_db, "acme")
    assert len(log) > 0
    assert not log.astype("string").apply(lambda c: c.str.contains(secret, regex=False).fillna(False)).any().any()


def test_two_tenants_keep_their_matches_app_rows_and_logs_apart(db, sim):
    for org in ("acme", "globex"):
        _seeded(db, sim, org)
        _synced(db, org)
    for org, other in (("acme", "globex"), ("globex", "acme")):
        people = pd.concat([sim.org(org).rows("Contact"), sim.org(org).rows("Lead")])["Id"]
        matched = _asset_table(db, "matched_prospects", org)
        assert matched["crm_id"].isin(people).all()
        prospects = read_app_table(db, org, "prospects")
        assert prospects["crm_id"].dropna().isin(people).all()
        log = read_log(db, org)
        assert log["crm_id"].dropna().isin(
            pd.concat([people, *(sim.org(org).rows(o)["Id"] for o in ("Account", "Campaign", "Opportunity"))])).all()
        assert set(log["tenant_id"]) == {org}


def _planned(db, tenant: str):
    """The outbound field changes alone, planned as the push job plans them (no delivery)."""
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", [tenant])
    job = build_definitions(db_url(db)).resolve_job_def("outbound_push").get_subset(
        asset_selection={AssetKey("outbound_field_changes")})
    result = job.execute_in_process(instance=instance, partition_key=tenant, raise_on_error=False)
    assert result.success
    return result


def test_outbound_changes_hold_new_leads_for_complete_new_prospects_and_the_new_app_campaign(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme")
    _synced(sqlite_db, "acme")
    _planned(sqlite_db, "acme")
    outbound = _asset_table(sqlite_db, "outbound_field_changes", "acme")
    new_leads = outbound.loc[outbound["reason"] == "new_lead"]
    assert sorted(new_leads["app_id"].unique()) == ["p-new-1", "p-new-2", "p-new-3", "p-new-4"]
    assert new_leads["crm_id"].isna().all() and set(new_leads["crm_type"]) == {"Lead"}
    assert set(outbound.loc[outbound["reason"] == "new_campaign", "app_id"]) == {"cmp-app-active"}


def test_with_app_to_crm_off_no_outbound_change_is_stored(sqlite_db, sim):
    _seeded(sqlite_db, sim, "acme", **{"push.app_to_crm": "false"})
    _synced(sqlite_db, "acme")
    md = metadata_by_asset(_planned(sqlite_db, "acme"))
    assert "nothing to send" in md["outbound_field_changes"]["app_to_crm"]
    assert _asset_table(sqlite_db, "outbound_field_changes", "acme").empty
