"""Every sensor and schedule tick at fleet scale (issue 15, point 6), evaluated as the code server
evaluates it: Dagster's own contexts on a real instance, the definition's `evaluate_tick` (which
resolves the run requests too), every SQL statement of every engine counted.

A tick costs the same statements for two tenants as for eight, and no statement passes a fleet's
tenants as parameters (SQLite refuses more than 32,766 of them, Dagster #16260)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.tables import prospects, sync_chains
from crm_pipelines.store.tenants import TenantRegistry

SENSORS = ["tenant_registry", "crm_sync_due", "push_triggers", "api_limit_backoff"]
SCHEDULES = ["outbound_push_schedule", "daily_list_rebuild"]


def _fleet(url: str, n: int) -> list[str]:
    """`n` connected tenants due for everything but a resumption: a sync (last chain two hours ago), a
    push, a rebuild (00:00), a push trigger (a prospect over its threshold); and `n` more with a
    deferred sync to resume (which holds back their sync and push)."""
    db = open_database(url)
    ids = [t.id for t in TenantRegistry(db).add_many([validated(Tenant, {
        "id": f"t{i:05d}", "name": f"Tenant {i}", "connection": {
            "login_url": f"https://t{i:05d}.my.salesforce.com",
            "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}},
        "settings": {"push": {"interest_threshold": 70}, "auto_save": {"daily_rebuild_at": "00:00"}}})
        for i in range(2 * n)])]
    now = datetime.now(UTC)
    with db.transaction() as conn:
        conn.execute(sync_chains.insert(), [{"tenant_id": t, "completed_at": now - timedelta(hours=2),
                                             "completed_run_id": "run", "updated_at": now} for t in ids])
        conn.execute(prospects.insert(), [{"tenant_id": t, "prospect_id": "p-1", "lead_score": 90.0, "updated_at": now}
                                          for t in ids])
    deferrals = DeferralStore(db)
    for tenant_id in ids[n:]:
        deferrals.record(tenant_id, "crm_sync", ["Lead"], "budget", now - timedelta(minutes=1), now - timedelta(hours=24))
    return ids


class _Statements:
    def __init__(self) -> None:
        self.count = 0
        self.most_params = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002
        self.count += 1
        for row in (parameters if executemany else [parameters]) or []:
            self.most_params = max(self.most_params, len(row or ()))


def _ticks(tmp_path, n: int) -> dict[str, tuple[int, int, int]]:
    """Each tick's (statements, most parameters of one statement, run requests)."""
    url = f"sqlite:///{tmp_path / f'fleet-{n}.db'}"
    ids = _fleet(url, n)
    repository = build_definitions(url).get_repository_def()
    resources = repository.get_top_level_resources()
    found = {}
    home = tmp_path / f"dagster-{n}"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as instance:
        instance.add_dynamic_partitions("tenants", ids)
        for name in SENSORS + SCHEDULES:
            statements = _Statements()
            event.listen(Engine, "before_cursor_execute", statements)
            try:
                if name in SENSORS:
                    with build_sensor_context(instance=instance, instance_ref=instance.get_ref(), sensor_name=name,
                                              repository_def=repository, resources=resources) as context:
                        data = repository.get_sensor_def(name).evaluate_tick(context)
                else:
                    with build_schedule_context(instance=instance, instance_ref=instance.get_ref(),
                                                repository_def=repository, resources=resources,
                                                scheduled_execution_time=datetime.now(UTC)) as context:
                        data = repository.get_schedule_def(name).evaluate_tick(context)
            finally:
                event.remove(Engine, "before_cursor_execute", statements)
            found[name] = (statements.count, statements.most_params, len(data.run_requests or []))
    return found


def test_every_tick_costs_the_same_statements_for_two_tenants_as_for_eight(tmp_path):
    two, eight = _ticks(tmp_path, 2), _ticks(tmp_path, 8)
    for name in SENSORS + SCHEDULES:
        assert eight[name][2] == 4 * two[name][2] > 0, f"{name}: the tenants are due ({two[name]}, {eight[name]})"
        assert two[name][0] == eight[name][0], f"{name}: {two[name][0]} statements for 2 tenants, {eight[name][0]} for 8"


@pytest.mark.slow
def test_no_statement_passes_the_fleet_as_parameters_when_2500_tenants_are_due(tmp_path):
    ticks = _ticks(tmp_path, 2500)
    for name, (_, most_params, requests) in ticks.items():
        assert requests >= 2500, f"{name}: 2,500 tenants or more are due"
        assert most_params <= 1000, f"{name}: a statement with {most_params} parameters"
