"""Matching reads only what places a record (issue 17): the prospects' id, stored CRM id, email and
deleted flag, and the Accounts' id, name, website, merge and delete fields. On the tiny org synced
over real HTTP, before and after CRM edits (emails, websites, deletes, merges, a conversion) and app
edits, the matches and every report on those columns are exactly what the whole tables give, and
what the assets store when they run on that state is that. One first sync for the module, each
backend's test on its own copy."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from dagster import DagsterInstance, materialize

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.matching import match_accounts, match_prospects
from crm_pipelines.definitions import build_definitions
from crm_pipelines.core.matching.accounts import ACCOUNT_SOURCE_COLUMNS
from crm_pipelines.core.matching.people import PEOPLE_SOURCE_COLUMNS
from crm_pipelines.core.matching.prospects import PROSPECT_SOURCE_COLUMNS
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.bulk import typed_frame
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import crm_tables, metadata
from crm_pipelines.store.tenants import TenantRegistry
from tests.assets.test_outbound_push import control
from tests.sim_tenants import db_url, register_sim_tenant, run_job
from tests.store_copies import copied_db, prepared_store

SEED = 11
STORED = {"matched_prospects": "prospect_id", "matched_accounts": "company_id"}


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


@pytest.fixture(scope="module")
def first_sync(sim, tmp_path_factory):
    """The seeded app after its first sync, once for the module."""
    def prepare(db) -> None:
        register_sim_tenant(db, sim, "acme", **{"push.enabled": "false"})
        write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
        assert run_job(db, "crm_sync", "acme").success

    with prepared_store(tmp_path_factory, prepare) as db:
        yield db


db = copied_db("first_sync")


def _crm(db, name: str, columns=None) -> pd.DataFrame:
    return read_tenant_partition(db, crm_tables[name], "acme", columns=columns)


def _matches(db, *, narrowed: bool) -> dict:
    """Both matchings on the store's current rows: on the columns the assets read, or whole."""
    people, accounts = (PEOPLE_SOURCE_COLUMNS, ACCOUNT_SOURCE_COLUMNS) if narrowed else (None, None)
    overrides = read_app_table(db, "acme", "match_overrides")
    prospects = read_app_table(db, "acme", "prospects", columns=PROSPECT_SOURCE_COLUMNS if narrowed else None)
    by_email = TenantRegistry(db).get("acme").settings.connector.match_by_email
    return {
        "matched_prospects": match_prospects(prospects, _crm(db, "Lead", people), _crm(db, "Contact", people),
                                             overrides, match_by_email=by_email),
        "matched_accounts": match_accounts(read_app_table(db, "acme", "companies"), _crm(db, "Account", accounts),
                                           overrides),
    }


def _rematch(db, instance) -> None:
    """The two matching assets again on the store as the sync left it (its prospect creation
    included), so what they store can be set beside the matching of that same state."""
    defs = build_definitions(db_url(db))
    assert materialize(list(defs.assets), selection=list(STORED), partition_key="acme", instance=instance,
                       resources=defs.resources, raise_on_error=False).success


def _assert_narrowed_is_whole(db, instance) -> None:
    _rematch(db, instance)
    narrowed, whole = _matches(db, narrowed=True), _matches(db, narrowed=False)
    assert len(whole["matched_prospects"].matched) > 100 and len(whole["matched_accounts"].matched) > 10
    for name, key in STORED.items():
        for field in dataclasses.fields(whole[name]):
            left, right = getattr(narrowed[name], field.name), getattr(whole[name], field.name)
            if isinstance(right, np.ndarray):
                np.testing.assert_array_equal(left, right, err_msg=f"{name}.{field.name}")
            else:
                pd.testing.assert_frame_equal(left, right, obj=f"{name}.{field.name}")
        if name == "matched_prospects":
            pd.testing.assert_frame_equal(narrowed[name].crm_without_prospect, whole[name].crm_without_prospect)
        table = metadata.tables[name]
        stored = read_tenant_partition(db, table, "acme").drop(columns="tenant_id")
        expected = typed_frame(whole[name].matched, table).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(stored.sort_values(key).reset_index(drop=True), expected, obj=name)


def _edit_the_crm(sim) -> None:
    """Edits that move matches (emails shared and changed, websites, deletes, merges, a
    conversion) and edits that move none (titles)."""
    org = sim.org("acme")
    leads = org.rows("Lead", include_deleted=False)
    leads = leads.loc[~leads["IsConverted"].astype(bool), "Id"].tolist()
    contacts = org.rows("Contact", include_deleted=False)
    accounts = org.rows("Account", include_deleted=False)["Id"].tolist()
    control(sim, "acme", "POST", "/clock/advance", json={"seconds": 3600})
    shared = contacts["Email"].dropna().iloc[0]
    for contact in contacts["Id"].iloc[1:6]:
        control(sim, "acme", "PATCH", f"/sobjects/Contact/{contact}", json={"Email": shared})
    for lead in leads[:10]:
        control(sim, "acme", "PATCH", f"/sobjects/Lead/{lead}", json={"Title": "Head of Widgets"})
    for lead in leads[10:15]:
        control(sim, "acme", "DELETE", f"/sobjects/Lead/{lead}")
    control(sim, "acme", "POST", f"/leads/{leads[15]}/convert", json={})
    control(sim, "acme", "POST", "/merge", json={"sobject": "Contact", "masterId": contacts["Id"].iloc[10],
                                                 "mergedIds": [contacts["Id"].iloc[11]]})
    control(sim, "acme", "POST", "/merge", json={"sobject": "Account", "masterId": accounts[0],
                                                 "mergedIds": [accounts[1]]})
    control(sim, "acme", "PATCH", f"/sobjects/Account/{accounts[2]}", json={"Website": "https://www.example.org"})
    control(sim, "acme", "DELETE", f"/sobjects/Account/{accounts[3]}")


def _edit_the_app(db) -> None:
    """A prospect loses its CRM id, another its email, a third is deleted."""
    prospects = read_app_table(db, "acme", "prospects")
    # Of the app's own prospects: one the sync created carries its record's id (crm-...) as its own.
    linked = prospects.index[prospects["crm_id"].notna() & ~prospects["prospect_id"].str.startswith("crm-")]
    prospects.loc[linked[0], "crm_id"] = None
    prospects.loc[linked[1], "email"] = None
    prospects.loc[linked[2], "is_deleted"] = True
    write_app_table(db, "acme", "prospects", prospects)


@pytest.mark.slow
def test_matching_on_the_columns_it_reads_is_matching_on_whole_tables(db, sim):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])  # the first sync's run added it to its own
    _assert_narrowed_is_whole(db, instance)
    _edit_the_crm(sim)
    _edit_the_app(db)
    assert run_job(db, "crm_sync", "acme", instance).success
    _assert_narrowed_is_whole(db, instance)
