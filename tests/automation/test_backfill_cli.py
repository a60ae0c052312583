"""`crm-pipelines backfill --tenants ...` submits runs for exactly those tenant partitions (O5)."""

import os

from dagster import DagsterInstance, RunsFilter

from crm_pipelines.cli.output import NOT_FOUND, REFUSED
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry
from crm_pipelines.settings import Tenant, validated
from tests.cli_runner import invoke


def _tenant(tenant_id: str) -> Tenant:
    return validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})


def test_backfill_submits_one_run_per_named_tenant_and_refuses_disconnected_ones_and_does_not_find_unknown_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", f"sqlite:///{tmp_path / 'crm.db'}")
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    registry = TenantRegistry(open_database())
    registry.add_many([_tenant("acme"), _tenant("globex"), _tenant("initech")])
    registry.disconnect("initech")

    refused = invoke("backfill", "--tenants", "acme,initech")
    assert refused.exit_code == REFUSED and "initech" in refused.stderr and "disconnected" in refused.stderr
    unknown = invoke("backfill", "--tenants", "nobody")
    assert unknown.exit_code == NOT_FOUND and "nobody" in unknown.stderr

    done = invoke("backfill", "--tenants", "acme,globex")
    assert done.exit_code == 0, done.output
    instance = DagsterInstance.from_config(str(home))
    runs = instance.get_runs(filters=RunsFilter(job_name="crm_sync"))
    assert sorted(r.tags["dagster/partition"] for r in runs) == ["acme", "globex"]
    assert all(r.tags.get("crm_pipelines/reason") == "backfill" for r in runs)
    instance.dispose()
