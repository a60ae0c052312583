"""Watching a run (issue 15): checks evaluated per tenant partition, `dagster/row_count` on every
materialization, and progress at INFO while the CRM is read and written. Real Dagster runs against
the simulator over HTTP."""

import logging
import re
from datetime import datetime, timezone

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from sqlalchemy import text

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.crm_objects import BY_NAME, CRM_OBJECTS
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.exchange.extraction import sync_object
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.partition_rows import partition_rows
from tests.sim_tenants import register_sim_tenant, run_job

SEED = 4


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=SEED) as sim:
        yield sim


def info_lines(instance: DagsterInstance, run_id: str) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id) if e.level == logging.INFO and not e.is_dagster_event]


def check_state_by_tenant(instance: DagsterInstance, asset: str, check: str) -> dict[str, str]:
    infos = instance.event_log_storage.get_asset_check_partition_info([AssetCheckKey(AssetKey(asset), check)])
    return {i.partition_key: i.latest_execution_status.value for i in infos}


def test_checks_are_evaluated_per_tenant_and_a_deferred_tenant_warns_for_itself_only(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme")
    register_sim_tenant(db, sim, "globex", **{"api_budget.daily_limit": "7"})
    instance = DagsterInstance.ephemeral()

    acme, globex = run_job(db, "crm_sync", "acme", instance), run_job(db, "crm_sync", "globex", instance)
    assert acme.success and globex.success

    for result, tenant in ((acme, "acme"), (globex, "globex")):
        assert {e.partition for e in result.get_asset_check_evaluations()} == {tenant}
    [deferred_check] = [e for e in globex.get_asset_check_evaluations() if e.check_name == "extraction_complete"]
    assert not deferred_check.passed and deferred_check.severity.value == "WARN"

    # What the UI shows: each tenant's own latest result of the same check.
    assert check_state_by_tenant(instance, "crm_extraction_complete", "extraction_complete") == {
        "acme": AssetCheckExecutionRecordStatus.SUCCEEDED.value, "globex": AssetCheckExecutionRecordStatus.FAILED.value}
    assert check_state_by_tenant(instance, "crm_users", "unique_crm_ids") == {
        "acme": AssetCheckExecutionRecordStatus.SUCCEEDED.value, "globex": AssetCheckExecutionRecordStatus.SUCCEEDED.value}


def test_every_materialization_of_a_sync_carries_the_row_count_of_the_tenants_partition(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme")
    register_sim_tenant(db, sim, "globex")
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "globex", instance).success  # another tenant's rows in the same tables
    result = run_job(db, "crm_sync", "acme", instance)
    assert result.success

    materializations = result.get_asset_materialization_events()
    # tenant_settings, 8 CRM objects, the 2 gates of the chain, 3 matched, 5 synced, the workflows
    assert len(materializations) == 20
    counts = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata["dagster/row_count"].value
              for e in materializations if "dagster/row_count" in e.event_specific_data.materialization.metadata}
    assert len(counts) == len(materializations), "a materialization without dagster/row_count"
    assert counts == {asset: partition_rows(db, asset, "acme") for asset in counts}
    # Against the tables themselves, by hand.
    with db.engine.connect() as conn:
        def rows(table: str) -> int:
            return conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = \'acme\'')).scalar_one()

        for obj in CRM_OBJECTS:
            assert counts[obj.asset] == rows(obj.table) == len(sim.org("acme").rows(obj.name, include_deleted=True))
        assert counts["matched_prospects"] == rows("matched_prospects") > 0
        assert counts["synced_prospects"] == rows("prospects") > 0
        assert counts["crm_sync_completed"] == 1
        assert counts["crm_extraction_complete"] == len(CRM_OBJECTS)
        assert rows("crm_users") != conn.execute(text("SELECT count(*) FROM crm_users")).scalar_one()


def test_a_sync_and_a_push_report_their_progress_at_info(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"push.activity_touch_outcomes": "email_replied,call_connected"})
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    instance = DagsterInstance.ephemeral()

    sync = run_job(db, "crm_sync", "acme", instance)
    assert sync.success
    lines = info_lines(instance, sync.run_id)
    for obj in CRM_OBJECTS:
        pages = [int(m.group(1)) for line in lines if (m := re.fullmatch(
            rf"{obj.name}: page (\d+), \d+ records read, \d+ API calls so far", line))]
        [done] = [line for line in lines if line.startswith(f"{obj.name}: done (full): ")]
        records = len(sim.org("acme").rows(obj.name, include_deleted=True))
        done_pages = re.fullmatch(rf"{obj.name}: done \(full\): {records} records in (\d+) pages, "
                                  rf"{records} rows written, \d+ API calls", done)
        assert done_pages and pages == sorted(pages) and all(p <= int(done_pages.group(1)) for p in pages), done

    push = run_job(db, "outbound_push", "acme", instance)
    assert push.success
    lines = info_lines(instance, push.run_id)
    [due] = [line for line in lines if line.startswith("push: ")]
    total = int(re.match(r"push: (\d+) records due", due).group(1))
    batches = [re.fullmatch(r"push batch (\d+) \((\w+): (\w+) (\w+)\): (\d+) records, (\d+) sent, \d+ failed, "
                            r"\d+ to retry; (\d+) of (\d+) sent, \d+ API calls so far", line)
               for line in lines if line.startswith("push batch ")]
    assert batches and all(batches), [line for line in lines if line.startswith("push batch ")]
    assert [int(b.group(1)) for b in batches] == list(range(1, len(batches) + 1))
    assert sum(int(b.group(5)) for b in batches) <= total
    assert int(batches[-1].group(7)) == sum(int(b.group(6)) for b in batches) > 0
    assert {b.group(4) for b in batches} >= {"Task", "Lead"}


def test_a_read_logs_a_page_line_at_most_every_interval_and_its_done_line(db):
    """Each page line is an event the run stores while the read waits: a page is told once
    `progress_every` seconds have passed since the read began or the last page told (a short read
    tells only its done line); the done line counts every page."""
    with run_simulator(orgs=("acme",), scale="small", seed=SEED) as sim:
        _read_told(db, register_sim_tenant(db, sim, "acme"))


def _read_told(db, tenant) -> None:
    for sobject, every in (("Contact", 0.0), ("Lead", 3600.0)):
        lines: list[str] = []
        result = sync_object(CrmClientResource().crm_for(tenant, lambda: None), db, BY_NAME[sobject], tenant,
                             now=lambda: datetime.now(timezone.utc), run_id=None, batch_size=200,
                             progress=lines.append, progress_every=every)
        assert result.read.pages > 2 and result.deferred is None
        told = [int(m.group(1)) for line in lines if (m := re.match(rf"{sobject}: page (\d+), ", line))]
        assert told == (list(range(1, result.read.pages + 1)) if every == 0.0 else [])
        assert lines[-1].startswith(f"{sobject}: done (full): ") and f" in {result.read.pages} pages" in lines[-1]
