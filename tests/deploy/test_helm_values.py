"""deploy/ holds values for Dagster's Helm chart that agree with the code location (O8)."""

from pathlib import Path

import yaml


ROOT = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())


def test_the_code_location_module_is_the_workspaces():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]["module_name"]
    [deployment] = VALUES["dagster-user-deployments"]["deployments"]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == module


def test_runs_are_kubernetes_jobs():
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"


def test_the_run_queue_limits_one_run_per_tenant_partition_as_dagster_yaml_does():
    queue = VALUES["dagsterDaemon"]["runCoordinator"]
    assert queue["enabled"] is True and queue["type"] == "QueuedRunCoordinator"
    helm_limits = queue["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    local = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert helm_limits == local
    # One key that every run of a tenant has, whoever launched it (a second key would be counted
    # apart, letting a run with one tag overlap a run with the other).
    assert helm_limits == [{"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


def test_postgres_is_external_and_the_image_installs_the_package():
    assert VALUES["postgresql"]["enabled"] is False
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "pip install" in dockerfile and "crm_pipelines" in dockerfile
