"""The list rebuild reads only the CRM columns its rules use (issue 17, load_inputs): on an org
synced from the simulator, the rebuild on those gives exactly what it gives on the whole
extracted tables, the first time and again with the lists it wrote."""

import dataclasses

import pandas as pd
import pytest

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.auto_save import CrmFrames, rebuild_lists
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.auto_save_lists import CRM_INPUTS, load_inputs, write_rebuild
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import crm_tables
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import register_sim_tenant, run_job

NOW = pd.Timestamp("2026-12-01 12:00", tz="UTC")


@pytest.fixture
def synced(db):
    with run_simulator(orgs=("acme",), scale="tiny", seed=9) as sim:
        register_sim_tenant(db, sim, "acme")
        write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=9))
        assert run_job(db, "crm_sync", "acme").success
        yield


def _both_ways(db):
    narrowed = load_inputs(db, TenantRegistry(db).get("acme"))
    whole = CrmFrames(**{name: read_tenant_partition(db, crm_tables[sobject], "acme")
                         for name, sobject in CRM_INPUTS.items()})
    assert len(narrowed.crm.leads.columns) < len(whole.leads.columns)
    return [rebuild_lists(inputs, NOW, with_capped_out=True)
            for inputs in (narrowed, dataclasses.replace(narrowed, crm=whole))]


def _assert_same(actual, expected):
    for name in ("lists", "changes", "summary", "capped_out"):
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name))
    assert actual.metadata() == expected.metadata()


@pytest.mark.slow
def test_the_rebuild_on_the_columns_its_rules_read_is_the_rebuild_on_whole_tables(db, synced):
    first, whole_first = _both_ways(db)
    _assert_same(first, whole_first)
    assert len(first.lists) > 0
    write_rebuild(db, "acme", first.lists, first.changes, first.saved_items, counted_at=NOW, run_id=None)
    again, whole_again = _both_ways(db)
    _assert_same(again, whole_again)
