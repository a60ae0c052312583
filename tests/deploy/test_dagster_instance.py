"""The Dagster instance (issue 2, item 5): the root dagster.yaml on real PostgreSQL, and the embedded default."""

from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from dagster._core.run_coordinator import QueuedRunCoordinator

from crm_pipelines.definitions import build_definitions
from crm_pipelines.instance import get_instance
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.settings import validated, Tenant
from crm_pipelines.store.tenants import TenantRegistry
from tests.postgres import scratch_database

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tenant(tenant_id: str) -> Tenant:
    return validated(
        Tenant,
        {
            "id": tenant_id,
            "name": tenant_id.title(),
            "connection": {
                "login_url": f"https://{tenant_id}.my.salesforce.com",
                "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"},
            },
        },
    )


def _tag_limits(instance: DagsterInstance) -> dict[str, int]:
    coordinator = instance.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    return {limit["key"]: limit["limit"] for limit in coordinator.get_run_queue_config().tag_concurrency_limits}


@pytest.mark.postgres
def test_root_dagster_yaml_runs_a_tenant_partition_on_real_postgres(postgres_db, postgres_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with scratch_database("crm_dagster") as dagster_db:
        monkeypatch.setenv("DAGSTER_PG_URL", dagster_db.replace("postgresql+psycopg://", "postgresql+psycopg2://"))
        instance = DagsterInstance.from_config(str(REPO_ROOT))
        try:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert _tag_limits(instance) == {"dagster/partition": 1}

            TenantRegistry(postgres_db).add_many([_tenant("acme"), _tenant("globex")])
            instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "globex"])
            defs = build_definitions(database_url=postgres_url)
            settings_asset = defs.get_assets_def("tenant_settings")
            result = materialize([settings_asset], partition_key="acme", instance=instance, resources=defs.resources)

            assert result.success
            runs = instance.get_runs()
            assert len(runs) == 1 and runs[0].tags["dagster/partition"] == "acme"
            latest = instance.get_latest_materialization_event(defs.get_assets_def("tenant_settings").key)
            assert latest is not None and latest.asset_materialization.partition == "acme"
        finally:
            instance.dispose()


def test_embedded_default_is_sqlite_with_the_same_run_queue(monkeypatch, tmp_path):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("CRM_PIPELINES_DATA_DIR", str(tmp_path))
    instance = get_instance()
    try:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert Path(instance.root_directory) == tmp_path / "dagster"
        assert _tag_limits(instance) == {"dagster/partition": 1}
    finally:
        instance.dispose()
