"""Matching is a function of the app's data, the CRM's data and the manual overrides: syncs with
no CRM change change no match and leave nothing to push (issue "Data stays right", point 4).

The org is initech's as the demo seeds it (tiny, seed 1), whose company c-name-5 shares its
website's domain with a second Account."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import metadata
from tests.sim_tenants import metadata_by_asset, register_sim_tenant, run_job

MATCHED = {"matched_users": "user_id", "matched_prospects": "prospect_id", "matched_accounts": "company_id"}
PLANS = ("activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes", "lead_score_updates",
         "field_updates", "campaign_pushes")


@pytest.fixture
def sim():
    with run_simulator(orgs=("initech",), scale="tiny", seed=1) as sim:
        yield sim


def _matches(db) -> dict[str, pd.DataFrame]:
    return {name: read_tenant_partition(db, metadata.tables[name], "initech").drop(columns="tenant_id")
            .sort_values(key).reset_index(drop=True) for name, key in MATCHED.items()}


def _sync(db, instance) -> dict[str, pd.DataFrame]:
    assert run_job(db, "crm_sync", "initech", instance).success
    return _matches(db)


def _pairs(frame: pd.DataFrame, key: str) -> dict[str, str]:
    crm = next(c for c in frame.columns if c.startswith("crm_") and c.endswith("id"))
    return dict(zip(frame[key], frame[crm], strict=True))


def test_syncs_with_no_crm_change_keep_every_match(sqlite_db, sim):
    register_sim_tenant(sqlite_db, sim, "initech", **{"push.enabled": "false"})
    write_app_tables(sqlite_db, "initech", app_data_for_org(sim.org("initech"), seed=1))
    instance = DagsterInstance.ephemeral()
    first, second, third = (_sync(sqlite_db, instance) for _ in range(3))

    for name, key in MATCHED.items():
        before, after = _pairs(first[name], key), _pairs(second[name], key)
        flipped = {app: (crm, after.get(app)) for app, crm in before.items() if after.get(app) != crm}
        assert not flipped, f"{name}: the second sync changed these matches: {flipped}"
        # The first sync stores what it matched by email, domain or name as the record's CRM id, so
        # the second matches by that id; from then on nothing at all changes.
        pd.testing.assert_frame_equal(second[name], third[name], obj=name)


def test_a_no_change_sync_after_a_push_leaves_nothing_to_push(sqlite_db, sim):
    register_sim_tenant(sqlite_db, sim, "initech")
    write_app_tables(sqlite_db, "initech", app_data_for_org(sim.org("initech"), seed=1))
    instance = DagsterInstance.ephemeral()
    _sync(sqlite_db, instance)
    assert run_job(sqlite_db, "outbound_push", "initech", instance).success
    # The push created Leads and Campaigns; the next sync reads them back, and a push settles that.
    _sync(sqlite_db, instance)
    assert run_job(sqlite_db, "outbound_push", "initech", instance).success
    ledger = read_ledger(sqlite_db, "initech")

    before = _sync(sqlite_db, instance)
    after = _sync(sqlite_db, instance)
    for name in MATCHED:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    crm_before = _crm_records(sim)
    pushed = metadata_by_asset(run_job(sqlite_db, "outbound_push", "initech", instance))
    # The one item left is the event of a prospect with no CRM id that F7 cannot create: it waits.
    waiting = read_tenant_partition(sqlite_db, metadata.tables["activity_event_tasks"], "initech")
    assert list(waiting["who_prospect_id"]) == ["p-incomplete-1"]
    assert {plan: pushed[plan]["to_send"] for plan in PLANS} == {**dict.fromkeys(PLANS, 0), "activity_event_tasks": 1}
    assert pushed["crm_push_results"]["waiting_for_crm_id"] == 1
    for sobject, rows in _crm_records(sim).items():
        pd.testing.assert_frame_equal(rows, crm_before[sobject], obj=sobject)
    pd.testing.assert_frame_equal(read_ledger(sqlite_db, "initech"), ledger)


def _crm_records(sim) -> dict[str, pd.DataFrame]:
    """What the CRM holds of everything a push can write, as the simulator has it."""
    return {sobject: sim.org("initech").rows(sobject).sort_values("Id").reset_index(drop=True)
            for sobject in ("Lead", "Contact", "Task", "Campaign")}
