"""synced_opportunities a key range of CRM ids at a time (issue 17), against the simulator's tiny
org over HTTP, on SQLite and PostgreSQL: two copies of one store (the app seeded, everything but
the opportunities synced) run the opportunity sync, one in ranges of 7 Opportunities, the other in
one piece, and leave the same copies, stages and connector log; then the same CRM edits (new
stages named in different ranges, amounts, a deletion) and app edits (a copy edited, one
removed, one the CRM never knew), and again the same. The copies left are checked against the
simulator's own Opportunities."""

import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance, materialize

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.definitions import build_definitions
from crm_pipelines.exchange.prospect_ranges import RANGE_RECORDS_ENV
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import metadata
from tests.sim_tenants import db_url, metadata_by_asset, register_sim_tenant
from tests.store_copies import prepared_store, store_copy

pytestmark = pytest.mark.slow

SEED = 11
RANGE = 7
OPPORTUNITIES = "synced_opportunities"


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


@pytest.fixture(scope="module")
def before_opportunities(sim, tmp_path_factory):
    """The seeded app's first sync of everything but the opportunities, once for the module."""
    def prepare(db) -> None:
        register_sim_tenant(db, sim, "acme")
        write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
        everything_else = AssetSelection.all() - AssetSelection.groups("outbound") \
            - AssetSelection.assets(OPPORTUNITIES).downstream()
        assert _materialized(db, everything_else).success

    with prepared_store(tmp_path_factory, prepare) as db:
        yield db


def _materialized(db, selection: AssetSelection):
    defs = build_definitions(db_url(db))
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    return materialize(list(defs.assets), selection=selection, partition_key="acme", instance=instance,
                       resources=defs.resources)


def _opportunity_sync(db, monkeypatch, range_records: int) -> dict:
    monkeypatch.setenv(RANGE_RECORDS_ENV, str(range_records))
    result = _materialized(db, AssetSelection.assets(OPPORTUNITIES))
    assert result.success
    return metadata_by_asset(result)[OPPORTUNITIES]


def _outputs(db) -> dict[str, pd.DataFrame]:
    log = pd.concat([read_log(db, "acme", app_object=o) for o in ("opportunity", "opportunity_stage")])
    log = log.drop(columns=[c for c in ("id", "at", "run_id", "logged_at") if c in log.columns]).astype("string")
    return {
        "app_opportunities": read_app_table(db, "acme", "app_opportunities").sort_values("opportunity_id",
                                                                                         ignore_index=True),
        "opportunity_stages": read_app_table(db, "acme", "opportunity_stages").sort_values("stage_id",
                                                                                           ignore_index=True),
        "log": log.sort_values(list(log.columns), ignore_index=True),
    }


def _same_outputs(ranged, whole) -> None:
    expected = _outputs(whole)
    for name, frame in _outputs(ranged).items():
        pd.testing.assert_frame_equal(frame, expected[name], obj=name)


def _both(ranged, whole, monkeypatch) -> tuple[dict, dict]:
    by_range = _opportunity_sync(ranged, monkeypatch, RANGE)
    in_one_piece = _opportunity_sync(whole, monkeypatch, 0)
    _same_outputs(ranged, whole)
    for key in ("changes_applied", "records_changed", "records_created", "stages_created", "copies_removed"):
        assert by_range[key] == in_one_piece[key], key
    return by_range, in_one_piece


def _crm_edits(org) -> list[str]:
    """A stage the app does not know named by two Opportunities far apart in key order, with other
    flags; amounts edited; one Opportunity deleted. The live ids before, in key order."""
    ids = org.rows("Opportunity", include_deleted=False)["Id"].sort_values().tolist()
    org.edit("Opportunity", ids[1], {"StageName": "Verbal Commit", "IsClosed": False, "IsWon": False})
    org.edit("Opportunity", ids[-2], {"StageName": "verbal  commit", "IsClosed": True, "IsWon": True})
    for record_id in ids[3::6]:
        org.edit("Opportunity", record_id, {"Amount": 4242.0})
    org.delete("Opportunity", ids[len(ids) // 2])
    return ids


def _app_edits(db) -> None:
    """One copy edited in the app (the CRM's value comes back), one removed (made again), one
    added that stores no CRM id (left alone)."""
    copies = read_app_table(db, "acme", "app_opportunities")
    linked = copies.index[copies["crm_opportunity_id"].notna()]
    copies.loc[linked[2], "name"] = "Renamed in the app"
    stray = copies.iloc[[0]].assign(opportunity_id="o-app-only", crm_opportunity_id=pd.NA, name="App only")
    copies = pd.concat([copies.drop(index=linked[5]), stray], ignore_index=True)
    write_app_tables(db, "acme", {"app_opportunities": copies})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_ranged_opportunity_sync_leaves_what_the_sync_in_one_piece_leaves(tmp_path, sim, monkeypatch, backend,
                                                                              before_opportunities):
    org = sim.org("acme")
    with store_copy(before_opportunities, backend, tmp_path / "ranged.db") as ranged, \
            store_copy(before_opportunities, backend, tmp_path / "whole.db") as whole:
        first, _ = _both(ranged, whole, monkeypatch)
        extracted = read_tenant_partition(ranged, metadata.tables["crm_opportunities"], "acme", columns=["id"])
        assert first["key_ranges"] == -(-len(extracted) // RANGE) >= 4
        assert first["records_created"] > 0

        ids = _crm_edits(org)
        for db in (ranged, whole):
            assert _materialized(db, AssetSelection.assets("crm_opportunities")).success
            _app_edits(db)
        second, _ = _both(ranged, whole, monkeypatch)
        # The org is the module's: on the second backend the first one's deletion is removed too.
        assert second["stages_created"] == 1 and second["copies_removed"] >= 1

        copies = read_app_table(ranged, "acme", "app_opportunities")
        stages = read_app_table(ranged, "acme", "opportunity_stages").set_index("stage_id")
        crm = org.rows("Opportunity", include_deleted=False)
        linked = copies.dropna(subset=["crm_opportunity_id"]).set_index("crm_opportunity_id")
        assert sorted(linked.index) == sorted(crm["Id"]), "one copy of every live Opportunity, none of the deleted"
        assert "o-app-only" in set(copies["opportunity_id"])
        crm = crm.set_index("Id")
        assert (linked.loc[crm.index, "name"].to_numpy() == crm["Name"].to_numpy()).all()
        assert linked.loc[ids[3], "amount"] == 4242.0
        assert linked.loc[ids[1], "stage_id"] == linked.loc[ids[-2], "stage_id"] == "crm-verbal-commit"
        # The stage's flags are its most recently modified Opportunity's (the smaller id on a tie).
        named = crm.loc[[ids[1], ids[-2]]].reset_index().sort_values(["LastModifiedDate", "Id"],
                                                                     ascending=[False, True])
        assert bool(stages.loc["crm-verbal-commit", "is_won"]) is bool(named["IsWon"].iloc[0])
