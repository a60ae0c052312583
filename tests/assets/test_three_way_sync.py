"""F3 three-way per field, and pushes planned at push time (P5, P6), against the simulator over
real HTTP: a CRM user edits records through its control API, the app edits through
store.app_edits.edit_app_record, and the CRM's records and the app's table are checked, not the
pipeline's bookkeeping."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.app_edits import edit_app_record
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.push_ledger import add_push_request
from tests.assets.test_outbound_push import control
from tests.sim_tenants import register_sim_tenant, run_job
from tests.store_copies import first_sync_copy

pytestmark = pytest.mark.slow

SEED = 3


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


@pytest.fixture
def synced(tmp_path_factory, sqlite_db, sim):
    """A seeded tenant after its first sync (every agreeing field has its base), and a Dagster
    instance; the first sync is made once per worker and copied (tests/store_copies.py)."""
    def first_sync(db) -> None:
        register_sim_tenant(db, sim, "acme")
        write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
        crm_sync(db, DagsterInstance.ephemeral())

    return first_sync_copy(tmp_path_factory, f"three-way-{SEED}", sim, sqlite_db, first_sync), \
        DagsterInstance.ephemeral()


def crm_sync(db, instance):
    assert run_job(db, "crm_sync", "acme", instance).success


def push(db, instance):
    result = run_job(db, "outbound_push", "acme", instance)
    assert result.success
    return result


def a_lead_prospect(db, sim=None) -> pd.Series:
    """A live seeded prospect (matched since the first sync) that alone holds a Lead (no duplicate
    prospect writes to it); given the simulator, one whose title is the Lead's already."""
    prospects = read_app_table(db, "acme", "prospects")
    live = prospects.loc[~prospects["is_deleted"].fillna(False).astype(bool) & prospects["crm_id"].notna()
                         & prospects["prospect_id"].str.startswith("p-id-")]
    alone = live.loc[~live["crm_id"].duplicated(keep=False) & (live["crm_type"] == "Lead")]
    if sim is not None:
        titles = sim.org("acme").rows("Lead").set_index("Id")["Title"]
        alone = alone.loc[(alone["title"] == alone["crm_id"].map(titles)).fillna(False).to_numpy(dtype=bool)]
    return alone.sort_values("prospect_id").iloc[0]


def crm_now(sim) -> pd.Timestamp:
    return pd.Timestamp(control(sim, "acme", "GET", "/clock")["now"])


def crm_user_edits(sim, lead_id: str, after_seconds: int, **fields) -> pd.Timestamp:
    """A CRM user edits the Lead `after_seconds` from the CRM's clock now; when they did."""
    control(sim, "acme", "POST", "/clock/advance", json={"seconds": after_seconds})
    control(sim, "acme", "PATCH", f"/sobjects/Lead/{lead_id}", json=fields)
    return crm_now(sim)


def app_user_edits(db, prospect_id: str, at: pd.Timestamp, **fields) -> None:
    edit_app_record(db, "acme", "prospects", prospect_id, fields, at.to_pydatetime())


def crm_lead(sim, lead_id: str) -> pd.Series:
    return sim.org("acme").rows("Lead").set_index("Id").loc[lead_id]


def app_prospect(db, prospect_id: str) -> pd.Series:
    return read_app_table(db, "acme", "prospects").set_index("prospect_id").loc[prospect_id]


def conflicts_logged(db, prospect_id: str) -> list[list]:
    log = read_log(db, "acme", record=prospect_id)
    conflicts = log.loc[log["reason"].str.startswith("conflict_").fillna(False)]
    return conflicts[["direction", "field", "old_value", "new_value", "reason"]].values.tolist()


def test_an_app_title_edit_survives_a_later_crm_edit_of_another_field_on_both_sides(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    app_user_edits(db, prospect["prospect_id"], crm_now(sim) + pd.Timedelta(seconds=60), title="Head of Widgets")
    crm_user_edits(sim, prospect["crm_id"], 3600, Phone="+1 555 0101")

    crm_sync(db, instance)
    push(db, instance)
    lead, after = crm_lead(sim, prospect["crm_id"]), app_prospect(db, prospect["prospect_id"])
    assert (lead["Title"], lead["Phone"]) == ("Head of Widgets", "+1 555 0101")
    assert (after["title"], after["phone"]) == ("Head of Widgets", "+1 555 0101")


def test_a_crm_title_edit_survives_a_later_app_edit_of_another_field_on_both_sides(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    edited_at = crm_user_edits(sim, prospect["crm_id"], 60, Title="VP Gadgets")
    app_user_edits(db, prospect["prospect_id"], edited_at + pd.Timedelta(hours=1), phone="+1 555 0102")

    crm_sync(db, instance)
    push(db, instance)
    lead, after = crm_lead(sim, prospect["crm_id"]), app_prospect(db, prospect["prospect_id"])
    assert (lead["Title"], lead["Phone"]) == ("VP Gadgets", "+1 555 0102")
    assert (after["title"], after["phone"]) == ("VP Gadgets", "+1 555 0102")


def test_the_same_field_edited_on_both_sides_goes_to_the_later_edit_and_the_log_shows_both_values(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    app_user_edits(db, prospect["prospect_id"], crm_now(sim) + pd.Timedelta(seconds=60), title="App's Title")
    crm_user_edits(sim, prospect["crm_id"], 3600, Title="CRM's Title")

    crm_sync(db, instance)
    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "CRM's Title"
    assert app_prospect(db, prospect["prospect_id"])["title"] == "CRM's Title"
    assert conflicts_logged(db, prospect["prospect_id"]) == [
        ["crm_to_app", "title", "App's Title", "CRM's Title", "conflict_crm_newer"]]


def test_the_app_side_of_a_conflict_wins_when_its_edit_is_later_and_the_push_logs_the_conflict(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    edited_at = crm_user_edits(sim, prospect["crm_id"], 60, Title="CRM's Title")
    app_user_edits(db, prospect["prospect_id"], edited_at + pd.Timedelta(hours=1), title="App's Title")

    crm_sync(db, instance)
    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "App's Title"
    assert app_prospect(db, prospect["prospect_id"])["title"] == "App's Title"
    assert conflicts_logged(db, prospect["prospect_id"]) == [
        ["app_to_crm", "title", "CRM's Title", "App's Title", "conflict_app_newer"]]


def test_an_app_edit_after_the_last_sync_goes_out_at_the_next_push_without_a_sync_between(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    push(db, instance)  # what the first sync found due is sent
    app_user_edits(db, prospect["prospect_id"], crm_now(sim) + pd.Timedelta(seconds=60), title="Pushed Between Syncs")

    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "Pushed Between Syncs"
    # The next sync finds both sides agreeing: nothing moves back.
    crm_sync(db, instance)
    assert app_prospect(db, prospect["prospect_id"])["title"] == "Pushed Between Syncs"
    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "Pushed Between Syncs"


def test_a_crm_edit_extracted_by_the_last_sync_is_not_reverted_by_a_push_even_with_crm_to_app_off(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.crm_to_app": "false"})
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    instance = DagsterInstance.ephemeral()
    crm_sync(db, instance)
    prospect = a_lead_prospect(db, sim)
    # The app's record is touched later (another field), but its title was not changed.
    edited_at = crm_user_edits(sim, prospect["crm_id"], 60, Title="Kept In The CRM")
    app_user_edits(db, prospect["prospect_id"], edited_at + pd.Timedelta(hours=1), phone="+1 555 0103")
    crm_sync(db, instance)
    push(db, instance)
    lead = crm_lead(sim, prospect["crm_id"])
    assert (lead["Title"], lead["Phone"]) == ("Kept In The CRM", "+1 555 0103")


def request_push(db, prospect_id: str, request_id: str) -> None:
    add_push_request(db, "acme", request_id, prospect_id, None, pd.Timestamp.now(tz="UTC").to_pydatetime())


def test_a_push_request_sends_the_apps_changes_and_never_reverts_a_crm_edit_with_crm_to_app_off(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.crm_to_app": "false"})
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    instance = DagsterInstance.ephemeral()
    crm_sync(db, instance)
    push(db, instance)
    prospect = a_lead_prospect(db, sim)
    edited_at = crm_user_edits(sim, prospect["crm_id"], 60, Title="Kept In The CRM")
    crm_sync(db, instance)  # extracts the CRM's Title; crm_to_app off keeps the app's old one
    app_user_edits(db, prospect["prospect_id"], edited_at + pd.Timedelta(hours=1), phone="+1 555 0104")
    request_push(db, prospect["prospect_id"], "pr-title")

    push(db, instance)
    lead = crm_lead(sim, prospect["crm_id"])
    assert (lead["Title"], lead["Phone"]) == ("Kept In The CRM", "+1 555 0104")
    assert app_prospect(db, prospect["prospect_id"])["title"] == prospect["title"]
    requests = read_app_table(db, "acme", "push_requests").set_index("request_id")
    assert requests.loc["pr-title", "status"] == "sent"


def test_a_push_request_does_not_revert_a_crm_edit_made_after_the_last_extraction(synced, sim):
    db, instance = synced
    push(db, instance)
    prospect = a_lead_prospect(db, sim)
    crm_user_edits(sim, prospect["crm_id"], 60, Title="Edited Since The Sync")
    request_push(db, prospect["prospect_id"], "pr-later")

    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "Edited Since The Sync"
    requests = read_app_table(db, "acme", "push_requests").set_index("request_id")
    assert requests.loc["pr-later", "status"] != "pending"


def test_an_app_value_sent_before_goes_out_again_after_the_crm_changed_it_in_between(synced, sim):
    db, instance = synced
    prospect = a_lead_prospect(db)
    app_user_edits(db, prospect["prospect_id"], crm_now(sim) + pd.Timedelta(seconds=60), title="Title A")
    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "Title A"
    edited_at = crm_user_edits(sim, prospect["crm_id"], 3600, Title="Title B")
    crm_sync(db, instance)
    assert app_prospect(db, prospect["prospect_id"])["title"] == "Title B"
    app_user_edits(db, prospect["prospect_id"], edited_at + pd.Timedelta(hours=1), title="Title A")

    push(db, instance)
    assert crm_lead(sim, prospect["crm_id"])["Title"] == "Title A"


def test_a_crm_edit_made_since_the_last_sync_is_not_overwritten_by_a_push_of_an_older_app_edit(synced, sim):
    # The push reads the CRM's Leads, Contacts and Campaigns again before it plans: planned against
    # the last sync alone, the app's older Title would overwrite the CRM user's newer one (found by
    # the soak, where a push ran between a CRM edit and the next sync).
    db, instance = synced
    prospect = a_lead_prospect(db)
    push(db, instance)
    app_user_edits(db, prospect["prospect_id"], crm_now(sim) + pd.Timedelta(seconds=60), title="App's Title",
                   phone="+1 555 0100")
    crm_user_edits(sim, prospect["crm_id"], 3600, Title="CRM's Title")

    push(db, instance)
    lead = crm_lead(sim, prospect["crm_id"])
    assert lead["Title"] == "CRM's Title"  # the later edit stays
    assert lead["Phone"] == "+1 555 0100"  # the app's edit of another field still goes out
    crm_sync(db, instance)
    assert app_prospect(db, prospect["prospect_id"])["title"] == "CRM's Title"
    assert conflicts_logged(db, prospect["prospect_id"]) == [
        ["crm_to_app", "title", "App's Title", "CRM's Title", "conflict_crm_newer"]]
