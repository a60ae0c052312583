"""The workflows read only what an evaluation needs (issue 17, store.workflow_changes): on the tiny
org with CRM edits synced over real HTTP, the records changed since the cursor, their prospects
with the criteria's columns and the latest SystemModstamp read in SQL give exactly the changes, the
next cursor and the actions that the tenant's whole Lead, Contact and prospect tables give, and the
asset acts as the whole tables say it should. One first sync for the module, each backend's test on
its own copy."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.workflows.changed_records import changed_records, prospect_columns
from crm_pipelines.core.workflows.run import run_workflows
from crm_pipelines.settings import TenantSettings, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import crm_tables
from crm_pipelines.store.tenants import TenantRegistry
from crm_pipelines.store.workflow_changes import latest_modstamp, read_changed_people
from crm_pipelines.store.workflow_state import read_applied_actions, read_workflow_cursor
from tests.assets.test_cadence_workflows import WORKFLOWS
from tests.assets.test_outbound_push import control
from tests.sim_tenants import register_sim_tenant, run_job
from tests.store_copies import copied_db, prepared_store

SEED = 7
NOW = pd.Timestamp("2026-12-01 12:00", tz="UTC")
MORE_WORKFLOWS = [
    {"name": "Opted out", "record_type": "Lead", "action": "next_touch",
     "criteria": [{"field": "opted_out", "operator": "equals", "value": "true"}]},
    {"name": "Scored", "record_type": "Contact", "action": "exit_cadence",
     "criteria": [{"field": "lead_score", "operator": "greater_than", "value": 50},
                  {"field": "city", "operator": "is_not_empty"}]},
]


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


@pytest.fixture(scope="module")
def first_sync(sim, tmp_path_factory):
    """The seeded app, its tenant with the workflows, after the first sync (the first evaluation:
    the starting point), once for the module."""
    def prepare(db) -> None:
        _tenant(db, sim)
        assert run_job(db, "crm_sync", "acme").success

    with prepared_store(tmp_path_factory, prepare) as db:
        yield db


db = copied_db("first_sync")


def _tenant(db, sim) -> TenantSettings:
    register_sim_tenant(db, sim, "acme", **{"sync.updates_with_criteria": "true"})
    registry = TenantRegistry(db)
    current = registry.get("acme").settings.model_dump(mode="json")
    registry.replace_settings("acme", validated(TenantSettings, {**current, "workflows": WORKFLOWS + MORE_WORKFLOWS}))
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    return registry.get("acme").settings


def _everyone_in_cadence(db) -> None:
    """Every prospect linked to a CRM record gets an active membership in cad-1, so actions have
    something to act on wherever the edits land."""
    prospects = read_app_table(db, "acme", "prospects")
    linked = prospects.loc[prospects["crm_id"].notna(), "prospect_id"].reset_index(drop=True)
    write_app_table(db, "acme", "cadence_memberships", pd.DataFrame({
        "membership_id": "m-" + linked, "prospect_id": linked, "cadence_id": "cad-1", "current_touch": 2,
        "status": "active", "updated_at": pd.Timestamp("2026-01-01", tz="UTC")}))


def _edit_the_crm(sim) -> None:
    """Edits that meet the workflows, edits that do not, and deletes, in Leads and Contacts."""
    org = sim.org("acme")
    leads = org.rows("Lead", include_deleted=False)["Id"].tolist()
    contacts = org.rows("Contact", include_deleted=False)["Id"].tolist()
    control(sim, "acme", "POST", "/clock/advance", json={"seconds": 3600})
    for i, lead in enumerate(leads[:30]):
        fields = {"Status": "Disqualified"} if i % 3 == 0 else {"HasOptedOutOfEmail": True} if i % 3 == 1 else {"City": "Oslo"}
        control(sim, "acme", "PATCH", f"/sobjects/Lead/{lead}", json=fields)
    for i, contact in enumerate(contacts[:30]):
        fields = {"Title": "VP of Widgets"} if i % 2 == 0 else {"Title": "Chief Widget Officer", "MailingCity": "Bergen"}
        control(sim, "acme", "PATCH", f"/sobjects/Contact/{contact}", json=fields)
    for record_id in leads[30:35]:
        control(sim, "acme", "DELETE", f"/sobjects/Lead/{record_id}")
    for record_id in contacts[30:35]:
        control(sim, "acme", "DELETE", f"/sobjects/Contact/{record_id}")


def _whole_tables(db, since):
    leads, contacts = (read_tenant_partition(db, crm_tables[name], "acme") for name in ("Lead", "Contact"))
    return changed_records(leads, contacts, read_app_table(db, "acme", "prospects"), since)


def _run(settings, changes, memberships, applied, cadences):
    return run_workflows(changes, memberships, cadences, applied, settings.workflows, settings.workflow_fields(), NOW)


@pytest.mark.slow
def test_the_narrowed_reads_act_exactly_as_the_whole_tables_on_the_tiny_org_with_edits(db, sim):
    settings = TenantRegistry(db).get("acme").settings
    instance = DagsterInstance.ephemeral()
    since = read_workflow_cursor(db, "acme")
    assert since is not None and since == _whole_tables(db, None)[1]
    _everyone_in_cadence(db)
    memberships, applied = read_app_table(db, "acme", "cadence_memberships"), read_applied_actions(db, "acme")
    cadences = set(read_app_table(db, "acme", "cadences")["cadence_id"].astype(str))
    _edit_the_crm(sim)
    assert run_job(db, "crm_sync", "acme", instance).success  # the asset acts on the narrowed reads

    whole, whole_latest = _whole_tables(db, since)
    leads, contacts, prospects = read_changed_people(db, "acme", since, prospect_columns(settings.workflows))
    narrowed, _ = changed_records(leads, contacts, prospects, since)
    assert len(narrowed) >= 60
    pd.testing.assert_frame_equal(narrowed, whole[narrowed.columns])
    assert latest_modstamp(db, "acme") == whole_latest == read_workflow_cursor(db, "acme")

    expected = _run(settings, whole, memberships, applied, cadences)
    actual = _run(settings, narrowed, memberships, applied, cadences)
    assert len(expected.applied) > 0
    for name in ("memberships", "applied", "log_rows"):
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name))
    assert (actual.matches, actual.unknown_targets) == (expected.matches, expected.unknown_targets)
    # What the asset itself applied and remembered is what the whole tables give.
    stored = read_applied_actions(db, "acme")[list(expected.applied.columns)]
    key = ["membership_id", "change_key", "workflow"]
    pd.testing.assert_frame_equal(stored.sort_values(key).reset_index(drop=True),
                                  expected.applied.sort_values(key).reset_index(drop=True), check_dtype=False)
    after = read_app_table(db, "acme", "cadence_memberships").set_index("membership_id").sort_index()
    wanted = expected.memberships.set_index("membership_id").sort_index()
    assert after[["status", "cadence_id", "current_touch"]].astype(str).equals(
        wanted[["status", "cadence_id", "current_touch"]].astype(str))
