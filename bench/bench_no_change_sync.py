"""One tenant's crm_sync run that finds no change (issue 15, point 6: under 2 s in-process).

The simulator serves one small org over HTTP; the app database is PostgreSQL. After a first full
sync, the crm_sync job runs again in-process (`execute_in_process` against a DagsterInstance) and
finds nothing new. Measured on three Dagster instances:

- `sqlite_instance`: `DagsterInstance.ephemeral()` (SQLite storage in a temporary directory);
- `postgres_instance`: dagster-postgres storage as the root dagster.yaml configures production,
  whose engines hold no connection (NullPool): every storage call opens a new connection;
- `postgres_instance_pooled`: the same storage with the pooled engines Dagster's own webserver
  switches to (`optimize_for_webserver`: one connection kept open), which is what a connection
  pooler (PgBouncer) or pool settings buy a run worker in production.

For each: wall time of several runs (minimum and median), the app database's statements, the
Dagster storage's statements and new connections, and the queries of the tenants table (whole-row
reads, and asking when the row last changed).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bench.results_file import machine, write_results
from bench.bench_fleet import postgres_instance
from bench.pg import scratch_postgres
from bench.simproc import simulator_process
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "no_change_sync.json"
RUNS = int(os.environ.get("BENCH_SYNC_RUNS", "5"))
TARGET_SECONDS = 2.0
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class RunCounter:
    """Statements per database (ours or Dagster's), new connections, and queries of the tenants table."""

    def __init__(self, app_database: str) -> None:
        self.app_database = app_database
        self.app_statements = self.dagster_statements = self.dagster_connections = self.tenants_table_queries = 0

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002
        if conn.engine.url.database == self.app_database:
            self.app_statements += 1
            self.tenants_table_queries += statement.lstrip().startswith("SELECT tenants.")
        else:
            self.dagster_statements += 1

    def _connect(self, dbapi_conn, record) -> None:  # noqa: ARG002
        self.dagster_connections += 1

    @contextmanager
    def counting(self) -> Iterator[RunCounter]:
        self.app_statements = self.dagster_statements = self.dagster_connections = self.tenants_table_queries = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Pool, "connect", self._connect)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._statement)
            event.remove(Pool, "connect", self._connect)


def pooled(instance: DagsterInstance) -> DagsterInstance:
    """The instance's PostgreSQL storages on engines that keep a connection open between calls, as
    Dagster's webserver sets them (statement timeout off, recycled hourly)."""
    for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
        storage.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=5)
    return instance


def measure(job, instance: DagsterInstance, counter: RunCounter) -> dict:
    instance.add_dynamic_partitions("tenants", ["acme"])
    assert job.execute_in_process(partition_key="acme", instance=instance, run_config=QUIET).success
    seconds = []
    for _ in range(RUNS):
        with counter.counting():
            started = time.perf_counter()
            result = job.execute_in_process(partition_key="acme", instance=instance, run_config=QUIET)
            seconds.append(time.perf_counter() - started)
        assert result.success
    # A dynamic partition's app connection is opened by the first run; the counts are the last run's.
    return {"seconds_min": round(min(seconds), 3), "seconds_median": round(statistics.median(seconds), 3),
            "runs_seconds": [round(s, 3) for s in seconds], "app_statements": counter.app_statements,
            "tenants_table_queries": counter.tenants_table_queries, "dagster_statements": counter.dagster_statements,
            "dagster_new_connections": counter.dagster_connections}


def main() -> int:
    os.environ["FLEET_SIM_ID"] = "acme"
    os.environ["FLEET_SIM_SECRET"] = "acme-secret"
    out = {}
    with simulator_process(scale="tiny") as base_url, scratch_postgres("crm_nochange_app") as url:
        db = open_database(url)
        TenantRegistry(db).add(validated(Tenant, {"id": "acme", "name": "Acme", "connection": {
            "login_url": base_url, "credentials": {"grant": "client_credentials", "client_id_env": "FLEET_SIM_ID",
                                                   "client_secret_env": "FLEET_SIM_SECRET"}}}))
        job = build_definitions(url).resolve_job_def("crm_sync")
        counter = RunCounter(db.engine.url.database)
        with DagsterInstance.ephemeral() as instance:
            out["sqlite_instance"] = measure(job, instance, counter)
        print(f"  sqlite_instance: {out['sqlite_instance']}", flush=True)
        for label, prepare in (("postgres_instance", lambda i: i), ("postgres_instance_pooled", pooled)):
            with scratch_postgres("crm_nochange_dagster") as dagster_url, postgres_instance(dagster_url) as instance:
                out[label] = measure(job, prepare(instance), counter)
            print(f"  {label}: {out[label]}", flush=True)
    result = {
        "benchmark": "no_change_sync",
        "what": "one tenant's crm_sync run in-process that finds no change, after a first full sync; "
                "simulator over HTTP (tiny org), app database on PostgreSQL",
        "runs": RUNS,
        "results": out,
        "target_seconds": TARGET_SECONDS,
        "within_target": {label: r["seconds_median"] < TARGET_SECONDS for label, r in out.items()},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main())
