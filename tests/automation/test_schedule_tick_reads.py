"""A schedule that looks every minute launches on few of its ticks: the daily rebuild's ticks that
launch nothing do not read the tenant partitions, and a tick that launches still gives its request
the tenant's partition (evaluated with Dagster's own schedule context on a real instance)."""

import tempfile
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRun, SkipReason, build_schedule_context
from dagster._core.utils import make_new_run_id
from sqlalchemy import event
from sqlalchemy.engine import Engine

from crm_pipelines.automation.auto_save_rebuild import daily_list_rebuild
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url


def _tick(instance: DagsterInstance, db, at: datetime) -> tuple[object, list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context_, executemany):  # noqa: ARG001
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        with build_schedule_context(instance=instance, scheduled_execution_time=at,
                                    resources={"database": DatabaseResource(database_url=db_url(db))}) as context:
            result = daily_list_rebuild(context)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return result, [s for s in seen if "dynamic_partitions" in s]


def test_a_tick_that_launches_nothing_reads_no_partitions_and_one_that_launches_tags_its_partition(sqlite_db):
    TenantRegistry(sqlite_db).add(validated(Tenant, {"id": "acme", "name": "acme", "connection": {
        "login_url": "https://acme.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})
        .with_settings({"auto_save.daily_rebuild_at": "05:00"}))
    with tempfile.TemporaryDirectory() as home, DagsterInstance.local_temp(home) as instance:
        instance.add_dynamic_partitions("tenants", ["acme"])
        at = datetime(2027, 1, 10, 5, 0, tzinfo=UTC)
        before, read = _tick(instance, sqlite_db, datetime(2027, 1, 10, 4, 59, tzinfo=UTC))
        assert isinstance(before, SkipReason) and read == []

        launched, read = _tick(instance, sqlite_db, at)
        assert [r.partition_key for r in launched] == ["acme"]
        assert launched[0].tags["dagster/partition"] == "acme"
        assert read, "the tick that launches reads the partitions once"
        instance.run_storage.add_historical_run(
            DagsterRun(job_name="auto_save_rebuild", run_id=make_new_run_id(), tags=launched[0].tags), at)

        after, read = _tick(instance, sqlite_db, datetime(2027, 1, 10, 5, 1, tzinfo=UTC))
        assert isinstance(after, SkipReason) and "already launched" in after.skip_message
        assert read == []
