"""synced_prospects and outbound_field_changes compare, on a run after the first, only the key
ranges that changed since (issue 17). Against the simulator's tiny org over HTTP, on SQLite and
PostgreSQL: two databases go through the same first sync and outbound planning, then the same CRM
edits, deletes and a merge, app edits, a new prospect and base rows stored as a delivery stores
them; one compares only the changed ranges, the other everything (CRM_PIPELINES_SYNC_FULL_COMPARE),
and both leave the same prospects, connector log, base and outbound rows. A new app user and a
settings change make a run compare everything (the first run after prospects were created from
the CRM compares them all too: they are new to it). The first sync and planning are made once for
the module and copied for each backend; the run after the settings change compares everything by
itself, so it is made once and copied, and only the run of the changed ranges is made twice."""

from datetime import UTC, datetime

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance
from sqlalchemy import update

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.definitions import build_definitions
from crm_pipelines.exchange.changed_ranges import FULL_COMPARE_ENV
from crm_pipelines.exchange.prospect_ranges import RANGE_RECORDS_ENV
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.database import open_database
from crm_pipelines.store.field_sync_base import store_base
from crm_pipelines.store.field_sync_marks import Marks, read_marks
from crm_pipelines.store.sync_commit import commit_sync
from crm_pipelines.store import tables
from crm_pipelines.store.tenants import TenantRegistry
from tests.assets.test_prospect_creation_chunks import _outputs
from tests.assets.test_prospect_sync_ranges import RANGE, SEED, _outbound, sim  # noqa: F401 (sim: the module's fixture)
from tests.sim_tenants import db_url, metadata_by_asset, register_sim_tenant, sync
from tests.store_copies import prepared_store, store_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_sync(sim, tmp_path_factory):
    """The seeded app's first sync and outbound planning, a range at a time, once for the module."""
    with prepared_store(tmp_path_factory, lambda db: _first_sync(db, sim)) as db:
        yield db


def _first_sync(db, sim) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(RANGE_RECORDS_ENV, str(RANGE))
        register_sim_tenant(db, sim, "acme")
        write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
        assert sync(db, "acme").success
        assert _plan_outbound(db)["comparison"].startswith("everything: no earlier run")


def _plan_outbound(db):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    job = build_definitions(db_url(db)).resolve_job_def("outbound_push").get_subset(
        asset_selection={AssetKey("outbound_field_changes")})
    result = job.execute_in_process(instance=instance, partition_key="acme", raise_on_error=False)
    assert result.success
    planned = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "outbound_field_changes"]
    return {k: getattr(v, "value", v) for k, v in planned[-1].materialization.metadata.items()}


def _one_run(db) -> tuple[dict, dict]:
    """synced_prospects (and the rest of the sync) then outbound planning; both assets' metadata."""
    result = sync(db, "acme")
    assert result.success
    return metadata_by_asset(result)["synced_prospects"], _plan_outbound(db)


def _both_runs(changed, full, monkeypatch) -> tuple[dict, dict]:
    """_one_run on both databases, the second comparing everything; the first's metadata."""
    synced, outbound = _one_run(changed)
    monkeypatch.setenv(FULL_COMPARE_ENV, "1")
    assert sync(full, "acme").success
    full_outbound = _plan_outbound(full)
    monkeypatch.delenv(FULL_COMPARE_ENV)
    assert full_outbound["comparison"].startswith("everything")
    for name, frame in _outputs(full).items():
        pd.testing.assert_frame_equal(_outputs(changed)[name], frame, obj=name)
    pd.testing.assert_frame_equal(_outbound(changed), _outbound(full), obj="outbound_field_changes")
    return synced, outbound


def _crm_changes(org) -> None:
    """Titles edited on Contacts and Leads across the org, two Contacts deleted, and a Contact
    merged into one far from it in key order (another range)."""
    contacts = org.rows("Contact", include_deleted=False)["Id"].sort_values().tolist()
    leads = org.rows("Lead", include_deleted=False)["Id"].sort_values().tolist()
    for record_id in contacts[2::len(contacts) // 4]:
        org.edit("Contact", record_id, {"Title": "Edited in the CRM"})
    for record_id in leads[3::len(leads) // 3]:
        org.edit("Lead", record_id, {"Title": "Edited in the CRM"})
    org.delete("Contact", contacts[len(contacts) // 9])
    org.delete("Contact", contacts[len(contacts) // 3])
    org.merge("Contact", contacts[1], [contacts[-2]])


def _app_changes(db, now: datetime) -> None:
    """Titles edited on a few prospects, one new prospect, and base rows of a pair stored as a
    delivery stores them (the CRM accepted a value)."""
    prospects = read_app_table(db, "acme", "prospects")
    linked = prospects.index[prospects["crm_id"].notna()]
    rows = linked[[3, len(linked) // 2, len(linked) - 4]]
    prospects.loc[rows, "title"] = "Edited in the app"
    prospects.loc[rows, "updated_at"] = pd.Timestamp(now)
    new = prospects.iloc[[0]].assign(prospect_id="p-added-later", crm_id=pd.NA, crm_type=pd.NA,
                                     email="added.later@example.com", updated_at=pd.Timestamp(now))
    write_app_tables(db, "acme", {"prospects": pd.concat([prospects, new], ignore_index=True)})
    pair = prospects.loc[linked[len(linked) // 3]]
    delivered = pd.DataFrame({"object": ["prospect"], "app_id": [pair["prospect_id"]], "crm_id": [pair["crm_id"]],
                              "field": ["title"], "value": ["Accepted by the CRM"]})
    with db.transaction() as conn:
        store_base(conn, "acme", delivered, now)


def _new_user_and_setting(db, org) -> None:
    users = read_app_table(db, "acme", "app_users")
    crm_user = org.rows("User", include_deleted=False).iloc[-1]
    added = users.iloc[[0]].assign(user_id="u-added-later", email=crm_user["Email"])
    write_app_tables(db, "acme", {"app_users": pd.concat([users, added], ignore_index=True)})
    TenantRegistry(db).set("acme", {"connector.overwrite_crm_with_empty_app_values": "true"})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_comparing_the_changed_ranges_leaves_what_comparing_everything_leaves(tmp_path, sim, monkeypatch, backend,
                                                                             first_sync):
    monkeypatch.setenv(RANGE_RECORDS_ENV, str(RANGE))
    org = sim.org("acme")
    with store_copy(first_sync, backend, tmp_path / "changed.db") as changed:
        assert len(_outbound(changed)) > 0  # planned, never delivered: still pending at the next run

        # A new app user (other user matches) and a settings change: everything is compared, as a
        # forced full comparison would, so the database comparing everything is a copy of this run.
        _new_user_and_setting(changed, org)
        synced, outbound = _one_run(changed)
        assert synced["comparison"].startswith("everything: settings")
        assert outbound["comparison"].startswith("everything: settings")

        with store_copy(changed, backend, tmp_path / "full.db") as full:
            _crm_changes(org)
            now = datetime.now(UTC)
            for db in (changed, full):
                _app_changes(db, now)
            synced, outbound = _both_runs(changed, full, monkeypatch)
        assert synced["comparison"] == outbound["comparison"] == "changed records"
        assert 0 < synced["records_compared"] < synced["records_skipped"], synced
        assert synced["ranges_skipped"] > 0, synced
        # Every prospect the last output planned something for is compared again (nothing
        # pending is dropped, and here nothing was delivered): about half the seeded app's.
        assert outbound["records_compared"] > 0 and outbound["records_skipped"] > 0, outbound

@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_run_after_prospects_were_created_compares_only_what_changed_since(tmp_path, sim, monkeypatch, backend,
                                                                              first_sync):
    """The first sync created prospects from the CRM's free records; the run after it compares a
    created prospect only when it or its record changed since (its marks are taken as it was
    committed), and leaves what comparing everything leaves."""
    monkeypatch.setenv(RANGE_RECORDS_ENV, str(RANGE))
    org = sim.org("acme")
    source = first_sync
    if backend == "sqlite":  # made on SQLite: a copy's rows would hash otherwise than the store hashed them
        source = open_database(f"sqlite:///{tmp_path / 'first.db'}")
        _first_sync(source, sim)
    with store_copy(source, backend, tmp_path / "changed.db") as changed, \
            store_copy(source, backend, tmp_path / "full.db") as full:
        created = read_app_table(changed, "acme", "prospects")
        created = created.loc[created["prospect_id"].str.startswith("crm-")]
        assert len(created) > 20
        contacts = created.loc[created["crm_type"] == "Contact", "crm_id"].sort_values().tolist()
        org.edit("Contact", contacts[len(contacts) // 2], {"Title": "Edited after creation"})
        edited = created["prospect_id"].iloc[3]
        now = datetime.now(UTC)
        for db in (changed, full):  # one row updated in place: the others stay as stored, to the byte
            with db.transaction() as conn:
                conn.execute(update(tables.prospects).where(
                    (tables.prospects.c.tenant_id == "acme") & (tables.prospects.c.prospect_id == edited)
                ).values(title="Edited in the app after creation", updated_at=now))
        synced, outbound = _both_runs(changed, full, monkeypatch)
    assert synced["comparison"] == "changed records", synced
    # The edits, and whatever other tests of the module edited in the CRM: far fewer than were created.
    assert 2 <= synced["records_compared"] < len(created) // 2, synced
    assert outbound["records_compared"] < len(created) // 2, outbound


def test_a_run_that_fails_after_computing_leaves_the_marks_it_found(tmp_path):
    """The marks commit with the sync's changes: a commit that fails (here its log rows lack a
    column) leaves the last run's marks, so the next run compares what this one did again."""
    db = open_database(f"sqlite:///{tmp_path / 'marks.db'}")
    earlier = Marks(fingerprint="a" * 64, started_at=datetime(2026, 1, 1, tzinfo=UTC), seen=b"earlier")
    at = datetime(2026, 1, 2, tzinfo=UTC)
    commit_sync(db, "acme", {}, pd.DataFrame(columns=["at", "object", "app_id", "crm_type", "crm_id", "field",
                                                      "crm_field", "old_value", "new_value", "direction", "reason"]),
                run_id="r1", batch="synced_prospects", at=at, marks=earlier)
    assert read_marks(db, "acme", "synced_prospects") == Marks(
        fingerprint="a" * 64, started_at=earlier.started_at, seen=b"earlier", committed_at=at)

    later = Marks(fingerprint="b" * 64, started_at=datetime(2026, 1, 3, tzinfo=UTC), seen=b"later")
    with pytest.raises(ValueError, match="lack the column"):
        commit_sync(db, "acme", {}, pd.DataFrame({"object": ["prospect"]}), run_id="r2", batch="synced_prospects",
                    at=datetime(2026, 1, 4, tzinfo=UTC), marks=later)
    assert read_marks(db, "acme", "synced_prospects").seen == b"earlier"
