"""The prospect sync a key range of CRM ids at a time (issue 17), against the simulator's tiny org
over HTTP: ranges of 14 records (twenty of them) leave the same prospects, connector log,
base and outbound changes as the sync in one piece, and on the state a first sync leaves, the
ranged computation gives the one piece's changes both ways, whether it is given the app's
prospects whole or reads them from the store a range at a time."""

import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.definitions import build_definitions
from crm_pipelines.core.field_sync import sync_prospects
from crm_pipelines.exchange.prospect_ranges import (
    RANGE_RECORDS_ENV, AppProspects, held_positions, org_people, prospect_ranges, ranged_prospect_sync, read_whole_org,
)
from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.crm_field_changes import read_field_changes
from crm_pipelines.store.database import open_database
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import metadata
from tests.assets.test_prospect_creation_chunks import _outputs
from tests.sim_tenants import db_url, register_sim_tenant, sync
from tests.store_copies import sqlite_backup

pytestmark = pytest.mark.slow

SEED = 5
RANGE = 14


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


@pytest.fixture(scope="module")
def ranged_state(sim, tmp_path_factory):
    """The ranged first sync, made once for the module: each test works on its own copy."""
    folder = tmp_path_factory.mktemp("ranged")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _synced(folder, sim, monkeypatch, RANGE)
    return folder / f"ranges-{RANGE}.db"


@pytest.fixture
def ranged(ranged_state, tmp_path, monkeypatch):
    """A copy of the ranged first sync's store (SQLite's backup, which takes the write-ahead log too)."""
    monkeypatch.setenv(RANGE_RECORDS_ENV, str(RANGE))
    return sqlite_backup(ranged_state, tmp_path / "ranged-copy.db")


def _synced(tmp_path, sim, monkeypatch, range_records: int):
    """A seeded app's first sync, then outbound planning, with `range_records` per range (0: one piece)."""
    monkeypatch.setenv(RANGE_RECORDS_ENV, str(range_records))
    db = open_database(f"sqlite:///{tmp_path / f'ranges-{range_records}.db'}")
    register_sim_tenant(db, sim, "acme")
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    assert sync(db, "acme").success
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    job = build_definitions(db_url(db)).resolve_job_def("outbound_push").get_subset(
        asset_selection={AssetKey("outbound_field_changes")})
    assert job.execute_in_process(instance=instance, partition_key="acme", raise_on_error=False).success
    return db


def _outbound(db) -> pd.DataFrame:
    rows = read_tenant_partition(db, metadata.tables["outbound_field_changes"], "acme")
    rows = rows.drop(columns=["position", "at", "tenant_id"]).astype("string")
    return rows.sort_values(list(rows.columns), ignore_index=True)


def _sorted(changes: pd.DataFrame) -> pd.DataFrame:
    changes = changes.astype("string")
    return changes.sort_values(list(changes.columns), ignore_index=True)


def test_ranged_sync_leaves_what_the_sync_in_one_piece_leaves(tmp_path, sim, monkeypatch, ranged):
    one_piece = _synced(tmp_path, sim, monkeypatch, 0)

    expected = _outputs(one_piece)
    assert len(expected["prospects"]) > 200 and len(expected["base"]) > 0
    for name, frame in _outputs(ranged).items():
        pd.testing.assert_frame_equal(frame, expected[name], obj=name)
    outbound = _outbound(one_piece)
    assert len(outbound) > 0
    pd.testing.assert_frame_equal(_outbound(ranged), outbound, obj="outbound_field_changes")


def test_ranged_changes_equal_the_one_piece_changes_on_a_synced_state(ranged):
    db = ranged
    tenant = "acme"
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], tenant)
    matched_users = read_tenant_partition(db, metadata.tables["matched_users"], tenant)
    prospects = read_app_table(db, tenant, "prospects")
    crm_leads, crm_contacts = read_whole_org(db, tenant)
    edited = _app_edits(prospects)
    org = org_people(crm_leads, crm_contacts, RANGE)
    assert len(org.ranges) >= 20

    settings = ConnectorSettings(create_prospects_from_crm=False)
    whole = sync_prospects(matched, edited, crm_leads, crm_contacts, settings=settings, matched_users=matched_users,
                           base=read_base(db, tenant, "prospect"), crm_field_times=read_field_changes(db, tenant))
    pieces = ranged_prospect_sync(db, tenant, org, matched, edited, mappings=DEFAULT_FIELD_MAPPINGS, settings=settings,
                                  matched_users=matched_users)

    assert len(whole.outbound) > 0
    for name in ("inbound", "outbound", "synced"):
        pd.testing.assert_frame_equal(_sorted(getattr(pieces, name)), _sorted(getattr(whole, name)), obj=name)
    assert pieces.skipped_mappings == whole.skipped_mappings

    write_app_tables(db, tenant, {"prospects": edited})
    read_by_range = ranged_prospect_sync(db, tenant, org, matched, AppProspects.stored(db, tenant),
                                         mappings=DEFAULT_FIELD_MAPPINGS, settings=settings,
                                         matched_users=matched_users)
    for name in ("inbound", "outbound", "synced"):
        pd.testing.assert_frame_equal(getattr(read_by_range, name), getattr(pieces, name), obj=name)
    assert read_by_range.skipped_mappings == pieces.skipped_mappings
    # Outbound alone, each range reading the base of only the pairs differing in a two-way field.
    outbound_only = ranged_prospect_sync(db, tenant, org, matched, AppProspects.stored(db, tenant),
                                         mappings=DEFAULT_FIELD_MAPPINGS, settings=settings, outbound_only=True)
    pd.testing.assert_frame_equal(outbound_only.outbound, pieces.outbound, obj="outbound only")


@pytest.mark.parametrize("share", [0.05, 0.3])
def test_comparing_some_records_gives_the_full_comparisons_rows_of_their_prospects(ranged, share):
    """With `only` (the changed records of a steady run), the prospects those records hold are
    compared several ranges to a call, each call holding at most a range's worth of records (a
    5% share goes in one call or two, 30% in several): their rows are, in the same order, the rows the
    whole range-by-range comparison gives them, both ways and outbound only."""
    db, tenant = ranged, "acme"
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], tenant)
    matched_users = read_tenant_partition(db, metadata.tables["matched_users"], tenant)
    write_app_tables(db, tenant, {"prospects": _app_edits(read_app_table(db, tenant, "prospects"))})
    org = org_people(*read_whole_org(db, tenant), RANGE)
    settings = ConnectorSettings(create_prospects_from_crm=False)
    stored = AppProspects.stored(db, tenant)
    belongs = prospect_ranges(org, matched, stored.places)
    only = np.random.default_rng(10).random(len(org.people)) < share
    held = held_positions(org, matched, stored.places, positions(stored.places["crm_id"], org.people["crm_id"]))
    compared = stored.places["prospect_id"][(belongs < 0) | ((belongs >= 0) & only[np.clip(held, 0, None)])]
    for outbound_only in (False, True):
        some, every = (ranged_prospect_sync(db, tenant, org, matched, stored, mappings=DEFAULT_FIELD_MAPPINGS,
                                            settings=settings, matched_users=matched_users, only=flags,
                                            outbound_only=outbound_only) for flags in (only, None))
        for name in ("inbound", "outbound", "synced"):
            full = getattr(every, name)
            expected = full[full["app_id"].isin(compared)].reset_index(drop=True)
            assert len(expected) > 0 or (outbound_only and name != "outbound") or name == "synced"
            pd.testing.assert_frame_equal(getattr(some, name), expected, obj=f"{name}, outbound only: {outbound_only}")
        assert some.skipped_mappings == every.skipped_mappings


def test_the_prospects_a_range_reads_are_its_own(ranged):
    """A range reads every column of exactly the prospects it holds, in key order: those storing one
    of its ids, and by id those it holds otherwise (matched while storing another id or none); the
    recordless ones are read once (storing no id, or an id the org does not have)."""
    db = ranged
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], "acme")
    crm_leads, crm_contacts = read_whole_org(db, "acme")
    edited = _app_edits(read_app_table(db, "acme", "prospects"))
    write_app_tables(db, "acme", {"prospects": edited})
    org = org_people(crm_leads, crm_contacts, RANGE)
    stored = AppProspects.stored(db, "acme")
    whole = AppProspects.of(read_app_table(db, "acme", "prospects"))
    pd.testing.assert_frame_equal(stored.places, whole.places[list(stored.places.columns)])
    belongs = prospect_ranges(org, matched, whole.places)
    stored_at = positions(whole.places["crm_id"], org.people["crm_id"])
    for index, crm_range in [*enumerate(org.ranges), (-1, None)]:
        mine = np.flatnonzero(belongs == index)
        brings = (whole.places["crm_id"].isna().to_numpy()[mine] if crm_range is None else
                  (stored_at[mine] >= crm_range.start) & (stored_at[mine] < crm_range.end))
        ids = None if crm_range is None else crm_range.ids
        pd.testing.assert_frame_equal(stored.at(mine, brings, ids), whole.at(mine, brings, ids), obj=f"range {index}")
    assert (belongs < 0).sum() > 0 and (stored_at < 0).sum() > (belongs < 0).sum()
    pd.testing.assert_frame_equal(stored.none(), whole.places.iloc[0:0])


def _app_edits(prospects: pd.DataFrame) -> pd.DataFrame:
    """Every seventh prospect's title changed in the app after the sync: two-way values to send;
    every eleventh's CRM id cleared and every thirteenth's replaced by one the org does not have,
    so some prospects are held by a record (matched) while storing no id or another."""
    edited = prospects.copy()
    rows = edited.index[::7]
    edited.loc[rows, "title"] = "Edited in the app"
    edited.loc[rows, "updated_at"] = pd.Timestamp("2099-01-01", tz="UTC")
    edited.loc[edited.index[1::11], "crm_id"] = pd.NA
    edited.loc[edited.index[2::13], "crm_id"] = "00Q000000000NONEAA"
    return edited
