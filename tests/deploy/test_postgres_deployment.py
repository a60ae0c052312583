"""The production setup, for real: webserver and daemon on the root dagster.yaml with dagster-postgres,
a backfill of two tenants launched through the GraphQL API (as the UI does), one run launched as the
UI's "Materialize" does (only `dagster/partition`), the sensors' runs (with `crm_pipelines/tenant` too),
every run succeeding, and never two runs of one tenant at once however launched (the run queue's limit
on `dagster/partition`)."""

import os
import time

import pytest
import requests

from crm_pipelines.sim.server import run_simulator
from tests.postgres import scratch_database
from tests.dagster_services import ROOT, webserver_and_daemon
from tests.sim_tenants import register_sim_tenant

TENANTS = ("acme", "globex")
pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}
"""
LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
RUNS = """
query Runs {
  runsOrError(filter: {pipelineName: "crm_sync"}) {
    ... on Runs { results { runId status tags { key value } startTime endTime } }
  }
}
"""


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    response = requests.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_a_backfill_of_two_tenants_through_graphql_on_postgres(postgres_db, postgres_url, tmp_path, monkeypatch):
    with run_simulator(orgs=TENANTS, scale="tiny", seed=2) as sim, scratch_database("crm_dagster") as dagster_db:
        for tenant in TENANTS:
            register_sim_tenant(postgres_db, sim, tenant)
        env = {
            **os.environ,
            "DAGSTER_HOME": str(ROOT),
            "DAGSTER_PG_URL": dagster_db.replace("postgresql+psycopg://", "postgresql+psycopg2://"),
            "CRM_PIPELINES_DB_URL": postgres_url,
            "CRM_PIPELINES_DATA_DIR": str(tmp_path / "data"),
        }
        # Relative paths of the root dagster.yaml (artifacts, step logs) land in the test's folder.
        with webserver_and_daemon(env, tmp_path, tmp_path / "logs") as (base, _daemon):
            from dagster import DagsterInstance

            monkeypatch.chdir(tmp_path)
            monkeypatch.setenv("DAGSTER_PG_URL", env["DAGSTER_PG_URL"])
            instance = DagsterInstance.from_config(str(ROOT))
            instance.add_dynamic_partitions("tenants", list(TENANTS))
            params = {
                "selector": {
                    "partitionSetName": "crm_sync_partition_set",
                    "repositorySelector": {"repositoryLocationName": "crm_pipelines", "repositoryName": "__repository__"},
                },
                "partitionNames": list(TENANTS),
                "fromFailure": False,
            }
            # Twice: two runs per tenant are queued at once, and the queue must keep them apart.
            for _ in range(2):
                launched = _graphql(base, LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
                assert launched["__typename"] == "LaunchBackfillSuccess", launched

            # As the UI launches one partition: the partition tag only, no tenant tag.
            ui_launch = {"selector": {"repositoryLocationName": "crm_pipelines", "repositoryName": "__repository__",
                                      "jobName": "crm_sync"},
                         "runConfigData": {}, "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "acme"}]}}
            launched = _graphql(base, LAUNCH_RUN, {"params": ui_launch})["launchRun"]
            assert launched["__typename"] == "LaunchRunSuccess", launched

            # The tenant-registry and sync-due sensors launch runs of their own meanwhile (catch-up
            # on connect, frequency): all of them go through the same queue and must succeed too.
            deadline = time.monotonic() + 420
            while True:
                runs = _graphql(base, RUNS)["runsOrError"]["results"]
                finished = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
                from_backfills = [r for r in runs if any(t["key"] == "dagster/backfill" for t in r["tags"])]
                if len(from_backfills) == 2 * len(TENANTS) and len(finished) == len(runs):
                    break
                assert time.monotonic() < deadline, f"runs did not finish: {[(r['runId'], r['status']) for r in runs]}\n" + (tmp_path / "logs" / "daemon.log").read_text()[-3000:]
                time.sleep(2)
            instance.dispose()

    assert all(r["status"] == "SUCCESS" for r in runs), [(r["runId"], r["status"]) for r in runs]
    by_tenant: dict[str, list[tuple[float, float]]] = {}
    for run in runs:
        tenant = {t["key"]: t["value"] for t in run["tags"]}["dagster/partition"]
        by_tenant.setdefault(tenant, []).append((run["startTime"], run["endTime"]))
    assert sorted(by_tenant) == sorted(TENANTS)
    acme_tags = [{t["key"] for t in r["tags"]} for r in runs if {"key": "dagster/partition", "value": "acme"} in r["tags"]]
    assert any("crm_pipelines/tenant" not in tags and "dagster/backfill" not in tags for tags in acme_tags), "the UI's run"
    assert any("crm_pipelines/tenant" in tags for tags in acme_tags), "a sensor's run"
    assert any("dagster/backfill" in tags for tags in acme_tags), "a backfill's run"
    for tenant, spans in by_tenant.items():
        spans.sort()
        assert len(spans) >= 2
        for earlier, later in zip(spans, spans[1:]):
            assert earlier[1] <= later[0], f"two runs of {tenant} overlapped: {spans}"

