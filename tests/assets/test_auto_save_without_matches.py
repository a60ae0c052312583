"""The list rebuild reads the CRM's tables only when its outcome can depend on them (issue 17,
core.auto_save.needs_the_crm): with no app user matched to a CRM user and no list held, the rebuild
on empty CRM frames gives exactly what the rebuild on the org's tables gives (no list, no change,
no total), before and after CRM edits; once a user is matched, or a list is held by a user who
lost the match, the tables are read and the rebuild is the rebuild on them. On the small org
synced over real HTTP: one first sync for the module, each backend's test on its own copy."""

import dataclasses

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.auto_save import needs_the_crm, rebuild_lists
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_table, write_app_tables
from crm_pipelines.store.auto_save_lists import load_inputs, read_lists, read_saved_items
from crm_pipelines.store.tenants import TenantRegistry
from tests.assets.test_outbound_push import control
from tests.sim_tenants import register_sim_tenant, run_job
from tests.store_copies import copied_db, prepared_store

SEED = 5
NOW = pd.Timestamp("2026-12-01 12:00", tz="UTC")


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="small", seed=SEED) as sim:
        yield sim


@pytest.fixture(scope="module")
def nobody(sim) -> pd.DataFrame:
    """The seeded app's users, none of them with a CRM user's email."""
    users = app_data_for_org(sim.org("acme"), seed=SEED)["app_users"]
    return users.assign(email="nobody-" + users["user_id"].astype(str) + "@elsewhere.test")


@pytest.fixture(scope="module")
def first_sync(sim, nobody, tmp_path_factory):
    """The seeded app (no user matched) after its first sync, once for the module."""
    def prepare(db) -> None:
        register_sim_tenant(db, sim, "acme", **{"push.enabled": "false"})
        write_app_tables(db, "acme", {**app_data_for_org(sim.org("acme"), seed=SEED), "app_users": nobody})
        assert run_job(db, "crm_sync", "acme").success

    with prepared_store(tmp_path_factory, prepare) as db:
        yield db


db = copied_db("first_sync")


def _both_rebuilds(db, *, reads_the_crm: bool):
    """The rebuild on what the asset loads, and on the inputs read whole, as of NOW; the loaded
    CRM frames are empty exactly when nothing can depend on them."""
    tenant = TenantRegistry(db).get("acme")
    loaded, whole = load_inputs(db, tenant, rebuild_only=True), load_inputs(db, tenant)
    assert needs_the_crm(loaded.user_matches, loaded.previous_lists) is reads_the_crm
    frames = [getattr(loaded.crm, field.name) for field in dataclasses.fields(loaded.crm)]
    assert all(len(frame) > 0 for frame in frames) if reads_the_crm else all(len(frame) == 0 for frame in frames)
    assert len(whole.crm.leads) > 1000
    fast, full = (rebuild_lists(inputs, NOW, with_capped_out=True) for inputs in (loaded, whole))
    for name in ("lists", "changes", "summary", "capped_out", "saved_items"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(full, name), obj=name)
    assert fast.metadata() == full.metadata()
    return full


def _rebuild_and_sync(db, instance) -> None:
    assert run_job(db, "auto_save_rebuild", "acme", instance).success
    assert run_job(db, "crm_sync", "acme", instance).success


def _edit_the_crm(sim) -> None:
    """Owner changes, closed opportunities and deletes: each would move items of a matched user."""
    org = sim.org("acme")
    users = org.rows("User", include_deleted=False)["Id"].tolist()
    accounts = org.rows("Account", include_deleted=False)["Id"].tolist()
    opportunities = org.rows("Opportunity", include_deleted=False)["Id"].tolist()
    control(sim, "acme", "POST", "/clock/advance", json={"seconds": 3600})
    for i, account in enumerate(accounts[:20]):
        control(sim, "acme", "POST", f"/sobjects/Account/{account}/owner", json={"ownerId": users[i % len(users)]})
    for opportunity in opportunities[:10]:
        control(sim, "acme", "POST", f"/opportunities/{opportunity}/close", json={"won": True})
    for account in accounts[20:25]:
        control(sim, "acme", "DELETE", f"/sobjects/Account/{account}")


@pytest.mark.slow
def test_the_rebuild_reads_the_crm_only_when_someone_can_have_a_list(db, sim, nobody):
    instance = DagsterInstance.ephemeral()

    # No user matched, no list held: nothing to build, whatever the CRM holds or how it changes.
    assert len(_both_rebuilds(db, reads_the_crm=False).lists) == 0
    _edit_the_crm(sim)
    _rebuild_and_sync(db, instance)
    assert len(read_lists(db, "acme")) == 0 and len(read_saved_items(db, "acme")) == 0
    assert len(_both_rebuilds(db, reads_the_crm=False).lists) == 0

    # One user matched: the CRM is read and the lists come.
    crm_user_email = sim.org("acme").rows("User", include_deleted=False)["Email"].iloc[0]
    write_app_table(db, "acme", "app_users", nobody.assign(email=[crm_user_email, *nobody["email"].iloc[1:]]))
    assert run_job(db, "crm_sync", "acme", instance).success
    full = _both_rebuilds(db, reads_the_crm=True)
    assert len(full.lists) > 0
    _rebuild_and_sync(db, instance)
    key = ["user_id", "list", "crm_id"]
    assert sorted(map(tuple, read_lists(db, "acme")[key].to_numpy())) == sorted(map(tuple, full.lists[key].to_numpy()))

    # The user loses the match but keeps the lists: still read, and kept as they were.
    write_app_table(db, "acme", "app_users", nobody)
    assert run_job(db, "crm_sync", "acme", instance).success
    kept = _both_rebuilds(db, reads_the_crm=True)
    assert sorted(map(tuple, kept.lists[key].to_numpy())) == sorted(map(tuple, full.lists[key].to_numpy()))
