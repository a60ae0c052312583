"""Fleet benchmark (issue 15, point 6): 100, 1,000 and 5,000 connected tenants on PostgreSQL.

Each sensor and schedule tick is evaluated as the code server evaluates it: a context built by
Dagster's `build_sensor_context` / `build_schedule_context` on a real DagsterInstance with
PostgreSQL storage (dagster-postgres) and the instance's ref, then the definition's
`evaluate_tick` (which also resolves the run requests). Every SQL statement any SQLAlchemy engine
of the process executes (ours and Dagster's storage) is counted, with its number of parameters.
Then `crm-pipelines tenant list` as a subprocess. (One tenant's sync that finds no change is
bench_no_change_sync.)

The fleet: every tenant connected, synced a moment ago (so `crm_sync_due` has nothing due), pushes
on and a daily rebuild at 00:00 (so both schedules request every tenant), ten of them with a
prospect above their interest threshold (`push_triggers` requests those) and ten with a deferred
sync whose resume-at has passed (`api_limit_backoff` requests those).
Targets: every tick < 5 s with a number of statements that does not grow with tenants, `tenant
list` < 1 s; no statement with more than 1,000 parameters.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bench.results_file import machine, write_results
from bench.pg import scratch_postgres
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.tables import prospects, sync_chains
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "fleet.json"
SIZES = [int(n) for n in os.environ.get("BENCH_FLEET_SIZES", "100,1000,5000").split(",")]
SENSORS = ["tenant_registry", "crm_sync_due", "push_triggers", "api_limit_backoff"]
SCHEDULES = ["outbound_push_schedule", "daily_list_rebuild"]


class StatementCounter:
    """Every statement of every engine in the process, with its parameter count."""

    def __init__(self) -> None:
        self.statements = 0
        self.max_params = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002
        self.statements += 1
        rows = parameters if executemany else [parameters]
        for row in rows or []:
            self.max_params = max(self.max_params, len(row) if row is not None else 0)

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.statements = self.max_params = 0
        event.listen(Engine, "before_cursor_execute", self)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self)


def _psycopg2(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


@contextmanager
def postgres_instance(url: str) -> Iterator[DagsterInstance]:
    """A Dagster instance on PostgreSQL storage, as the root dagster.yaml configures production."""
    with tempfile.TemporaryDirectory() as home:
        Path(home, "dagster.yaml").write_text(
            f"storage:\n  postgres:\n    postgres_url: {_psycopg2(url)}\ntelemetry:\n  enabled: false\n")
        instance = DagsterInstance.from_config(home)
        try:
            yield instance
        finally:
            instance.dispose()


def _tenant(i: int) -> Tenant:
    tenant_id = f"t{i:05d}"
    return validated(Tenant, {"id": tenant_id, "name": f"Tenant {i}", "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "FLEET_ID", "client_secret_env": "FLEET_SECRET"}},
        "settings": {"push": {"interest_threshold": 70}, "auto_save": {"daily_rebuild_at": "00:00"}}})


def seed(url: str, n: int) -> list[str]:
    db = open_database(url)
    added = TenantRegistry(db).add_many([_tenant(i) for i in range(n)])
    ids = [t.id for t in added]
    now = datetime.now(UTC)
    with db.transaction() as conn:
        conn.execute(sync_chains.insert(), [{"tenant_id": t, "completed_at": now, "completed_run_id": "seed",
                                             "incomplete_since": None, "incomplete_reason": None, "updated_at": now}
                                            for t in ids])
        conn.execute(prospects.insert(), [{"tenant_id": t, "prospect_id": "p-1", "lead_score": 90.0, "updated_at": now}
                                          for t in ids[:10]])
    deferrals = DeferralStore(db)
    for tenant_id in ids[-10:]:
        deferrals.record(tenant_id, "crm_sync", ["Lead"], "budget", now - timedelta(minutes=1), now - timedelta(hours=24))
    return ids


def _requests(data) -> int:
    return len(data.run_requests or [])


def evaluate_ticks(defs, instance: DagsterInstance, counter: StatementCounter) -> dict:
    repository = defs.get_repository_def()
    ref = instance.get_ref()
    resources = repository.get_top_level_resources()  # what the code server hands each tick
    ticks = {}
    for name in SENSORS + SCHEDULES:
        runs = []
        for _ in range(2):  # the first tick of a process also opens its engines; the second is the steady state
            with counter.counting():
                started = time.perf_counter()
                if name in SENSORS:
                    with build_sensor_context(instance=instance, instance_ref=ref, repository_def=repository,
                                              sensor_name=name, resources=resources) as context:
                        data = repository.get_sensor_def(name).evaluate_tick(context)
                else:
                    with build_schedule_context(instance=instance, instance_ref=ref, repository_def=repository,
                                                scheduled_execution_time=datetime.now(UTC), resources=resources) as context:
                        data = repository.get_schedule_def(name).evaluate_tick(context)
                seconds = time.perf_counter() - started
            runs.append({"seconds": round(seconds, 3), "statements": counter.statements,
                         "max_params": counter.max_params, "run_requests": _requests(data)})
        ticks[name] = {**runs[1], "first_tick_seconds": runs[0]["seconds"], "first_tick_statements": runs[0]["statements"]}
        print(f"  {name}: {ticks[name]}", flush=True)
    return ticks


def time_tenant_list(url: str, runs: int = 5) -> dict:
    """`crm-pipelines tenant list` as a user runs it: a fresh process each time (minimum and median
    of `runs`), and what the process imports (`python -X importtime`): the command needs neither
    Dagster nor the definitions."""
    env = {**os.environ, "CRM_PIPELINES_DB_URL": url}
    cli = [str(Path(sys.executable).with_name("crm-pipelines")), "tenant", "list"]
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(cli, env=env, capture_output=True, text=True, check=True).stdout
        seconds.append(time.perf_counter() - started)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "crm_pipelines.cli", "tenant", "list"],
                             env=env, capture_output=True, text=True, check=True).stderr
    # "import time: <self us> | <cumulative us> | <module>", after one header line
    entries = [line.removeprefix("import time:").split("|") for line in imports.splitlines()
               if line.startswith("import time:")][1:]
    modules = [name.strip() for _, _, name in entries]
    self_us = sum(int(own) for own, _, _ in entries)
    return {"seconds": round(min(seconds), 3), "seconds_median": round(statistics.median(seconds), 3),
            "lines": out.count("\n"), "import_seconds": round(self_us / 1e6, 3), "modules_imported": len(modules),
            "imports_dagster": any(m == "dagster" or m.startswith("dagster.") for m in modules)}


def main() -> int:
    counter = StatementCounter()
    fleets = {}
    for n in SIZES:
        print(f"== {n} tenants", flush=True)
        with scratch_postgres("crm_fleet_app") as url, scratch_postgres("crm_fleet_dagster") as dagster_url:
            started = time.perf_counter()
            ids = seed(url, n)
            seed_seconds = time.perf_counter() - started
            with postgres_instance(dagster_url) as instance:
                instance.add_dynamic_partitions("tenants", ids)
                defs = build_definitions(url)
                ticks = evaluate_ticks(defs, instance, counter)
            tenant_list = time_tenant_list(url)
            print(f"  tenant list: {tenant_list}", flush=True)
        fleets[str(n)] = {"seed_seconds": round(seed_seconds, 2), "ticks": ticks, "tenant_list": tenant_list}
    max_params = max(t["max_params"] for f in fleets.values() for t in f["ticks"].values())
    slowest = max(t["seconds"] for f in fleets.values() for t in f["ticks"].values())
    constant = all(len({fleets[str(n)]["ticks"][name]["statements"] for n in SIZES}) == 1
                   for name in SENSORS + SCHEDULES)
    result = {
        "benchmark": "fleet",
        "sizes": SIZES,
        "fleets": fleets,
        "slowest_tick_seconds": slowest,
        "statements_constant_across_sizes": constant,
        "max_params_per_statement": max_params,
        "targets": {"tick_seconds": 5.0, "tenant_list_seconds": 1.0, "max_params_per_statement": 1000},
        "within_target": {
            "ticks": slowest < 5.0 and constant,
            "tenant_list": all(f["tenant_list"]["seconds_median"] < 1.0 for f in fleets.values()),
            "max_params": max_params <= 1000,
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main())
