"""A tick of `crm_sync_due` or `push_triggers` costs the same number of queries for two tenants as
for eight: nothing is looked up tenant by tenant (evaluated with Dagster's own sensor context)."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import DagsterInstance, build_sensor_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from crm_pipelines.automation.outbound_push import push_triggers
from crm_pipelines.automation.crm_sync import crm_sync_due
from crm_pipelines.clock import ClockResource
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.app_data import write_app_table
from crm_pipelines.store.database import open_database
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import record_chain_completed
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url

NOW = datetime.now(UTC)


def _tenants(db, n: int) -> list[str]:
    registry = TenantRegistry(db)
    ids = [f"t{i}" for i in range(n)]
    for tenant_id in ids:
        registry.add(validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
            "login_url": f"https://{tenant_id}.my.salesforce.com",
            "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})
            .with_settings({"push.interest_threshold": "70"}))
        record_chain_completed(db, tenant_id, NOW - timedelta(hours=2), "run")
        write_app_table(db, tenant_id, "prospects", pd.DataFrame({
            "prospect_id": ["p-1", "p-2"], "lead_score": [80.0, 10.0], "updated_at": [pd.Timestamp(NOW)] * 2}))
    return ids


def _statements(db, sensor, ids: list[str]) -> int:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ids)
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource()})
    seen = []

    def count(conn, cursor, statement, parameters, context_, executemany):  # noqa: ARG001
        seen.append(statement)  # ours and the Dagster instance's

    event.listen(Engine, "before_cursor_execute", count)
    try:
        result = sensor(context)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    requests = getattr(result, "run_requests", None) or (result if isinstance(result, list) else [])
    assert len(requests) == len(ids), "every tenant is due or has a crossing"
    return len(seen)


def test_a_tick_costs_the_same_queries_for_two_tenants_as_for_eight(tmp_path):
    counts = {}
    for sensor in (crm_sync_due, push_triggers):
        for n in (2, 8):
            db = open_database(f"sqlite:///{tmp_path / f'{sensor.name}-{n}.db'}")
            counts[sensor.name, n] = _statements(db, sensor, _tenants(db, n))
    assert counts["crm_sync_due", 2] == counts["crm_sync_due", 8], counts
    assert counts["push_triggers", 2] == counts["push_triggers", 8], counts
