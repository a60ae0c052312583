"""Cadence workflows wired into the CRM sync, against the simulator over real HTTP (issue 8): a CRM
edit moves the prospect in or out of its cadence once, logged; S4 switches stop it."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.settings import TenantSettings, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.tenants import TenantRegistry
from tests.assets.test_outbound_push import control
from tests.sim_tenants import metadata_by_asset, register_sim_tenant, run_job

SEED = 3
WORKFLOWS = [
    {"name": "Exit disqualified", "record_type": "Lead", "action": "exit_cadence",
     "criteria": [{"field": "status", "operator": "equals", "value": "Disqualified"}]},
    {"name": "Executives", "record_type": "Contact", "action": "move_to_cadence", "target_cadence": "cad-2",
     "criteria": [{"field": "title", "operator": "contains", "value": "vp"},
                  {"field": "title", "operator": "starts_with", "value": "chief"}], "combinator": "any"},
]


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


def _tenant_with_workflows(db, sim, **settings: str) -> None:
    register_sim_tenant(db, sim, "acme", **settings)
    registry = TenantRegistry(db)
    current = registry.get("acme").settings.model_dump(mode="json")
    registry.replace_settings("acme", validated(TenantSettings, {**current, "workflows": WORKFLOWS}))
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))


def _sync(db, instance):
    result = run_job(db, "crm_sync", "acme", instance)
    assert result.success
    return metadata_by_asset(result)["cadence_workflow_actions"]


def _in_cadence(db, crm_type: str) -> pd.Series:
    """A prospect linked to a `crm_type` record with one active membership in cad-1, made so."""
    prospects = read_app_table(db, "acme", "prospects")
    memberships = read_app_table(db, "acme", "cadence_memberships")
    candidates = prospects.loc[(prospects["crm_type"] == crm_type) & prospects["crm_id"].notna()
                               & ~prospects["crm_id"].duplicated(keep=False)]
    prospect = candidates.iloc[0]
    memberships = memberships.loc[memberships["prospect_id"] != prospect["prospect_id"]]
    memberships = pd.concat([memberships, pd.DataFrame({
        "membership_id": [f"m-test-{crm_type}"], "prospect_id": [prospect["prospect_id"]], "cadence_id": ["cad-1"],
        "current_touch": [2], "status": ["active"], "updated_at": [pd.Timestamp("2026-01-01", tz="UTC")]})])
    write_app_table(db, "acme", "cadence_memberships", memberships)
    return prospect


def _edit(sim, sobject: str, crm_id: str, fields: dict) -> None:
    control(sim, "acme", "POST", "/clock/advance", json={"seconds": 3600})
    control(sim, "acme", "PATCH", f"/sobjects/{sobject}/{crm_id}", json=fields)


def test_a_crm_change_meeting_a_workflow_acts_once_and_is_logged(sqlite_db, sim):
    db = sqlite_db
    _tenant_with_workflows(db, sim, **{"sync.updates_with_criteria": "true"})
    instance = DagsterInstance.ephemeral()
    first = _sync(db, instance)
    assert first["actions_applied"] == 0 and first["workflows"].startswith("first evaluation")
    lead, contact = _in_cadence(db, "Lead"), _in_cadence(db, "Contact")

    _edit(sim, "Lead", lead["crm_id"], {"Status": "Disqualified"})
    _edit(sim, "Contact", contact["crm_id"], {"Title": "VP of Widgets"})
    second = _sync(db, instance)
    assert second["actions_applied"] == 2, second

    memberships = read_app_table(db, "acme", "cadence_memberships").set_index("membership_id")
    assert memberships.loc["m-test-Lead", "status"] == "exited"
    assert memberships.loc["m-test-Contact", "status"] == "moved"
    moved = memberships.loc[(memberships["prospect_id"] == contact["prospect_id"]) & (memberships["status"] == "active")]
    assert moved[["cadence_id", "current_touch"]].values.tolist() == [["cad-2", 1]]
    log = read_log(db, "acme", record="m-test-Lead")
    exit_row = log.loc[log["reason"] == "workflow_exit_cadence"].iloc[0]
    assert (exit_row["field"], exit_row["old_value"], exit_row["new_value"], exit_row["crm_id"]) == (
        "status", "active", "exited", lead["crm_id"])
    assert "Exit disqualified" in exit_row["detail"] and "Disqualified" in exit_row["detail"]

    # The same change again, and the asset run twice: nothing acts a second time.
    assert _sync(db, instance)["actions_applied"] == 0
    again = run_job(db, "crm_sync", "acme", instance)
    assert metadata_by_asset(again)["cadence_workflow_actions"]["actions_applied"] == 0
    after = read_app_table(db, "acme", "cadence_memberships")
    assert len(after) == len(memberships)
    assert len(read_log(db, "acme", record="m-test-Lead")) == len(log)


@pytest.mark.parametrize("off", ["sync.updates_with_criteria=false", "sync.crm_to_app=false"])
def test_with_s4_off_no_workflow_acts(sqlite_db, sim, off):
    db = sqlite_db
    key, value = off.split("=")
    _tenant_with_workflows(db, sim, **{"sync.updates_with_criteria": "true"})
    instance = DagsterInstance.ephemeral()
    _sync(db, instance)
    lead = _in_cadence(db, "Lead")
    TenantRegistry(db).set("acme", {key: value})
    _edit(sim, "Lead", lead["crm_id"], {"Status": "Disqualified"})
    result = _sync(db, instance)
    assert result["actions_applied"] == 0 and result["workflows"].startswith("off")
    status = read_app_table(db, "acme", "cadence_memberships").set_index("membership_id").loc["m-test-Lead", "status"]
    assert status == "active"
