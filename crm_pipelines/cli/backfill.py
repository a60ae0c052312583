"""`crm-pipelines backfill --tenants ...`: a backfill over any set of tenant partitions (O5).

It checks the tenants against the registry (an unknown tenant is not found, a disconnected one is
refused: T3), makes sure their partitions exist, and submits the backfill through Dagster's own
`dagster job backfill` on the instance the UI uses; the queue runs one tenant at a time, and each
sync resumes from its cursors.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from crm_pipelines.cli.output import echo, not_found, progress, refuse

JOBS = ("crm_sync",)
WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"


def check_tenants(wanted: list[str]) -> None:
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.tenants import TenantNotFound, TenantRegistry

    if not wanted:
        refuse("name at least one tenant")
    registry = TenantRegistry(open_database())
    unknown, disconnected = [], []
    for tenant_id in wanted:
        try:
            if registry.get(tenant_id).status != "connected":
                disconnected.append(f"tenant '{tenant_id}' is disconnected; reconnect it first (T3)")
        except TenantNotFound as exc:
            unknown.append(str(exc))
    if unknown:
        not_found("; ".join(unknown + disconnected))
    if disconnected:
        refuse("; ".join(disconnected))


def add_partitions(home: Path, wanted: list[str]) -> None:
    from dagster import DagsterInstance

    from crm_pipelines.partitions import tenant_partitions

    instance = DagsterInstance.from_config(str(home))
    try:
        missing = [t for t in wanted if t not in instance.get_dynamic_partitions(tenant_partitions.name)]
        if missing:
            instance.add_dynamic_partitions(tenant_partitions.name, missing)
    finally:
        instance.dispose()


def backfill(args: argparse.Namespace) -> int:
    from crm_pipelines.instance import dagster_home
    from crm_pipelines.partitions import TENANT_TAG

    wanted = [t.strip() for t in args.tenants.split(",") if t.strip()]
    with progress(3, "backfill") as bar:
        check_tenants(wanted)
        bar.advance(note="tenants checked")
        home = dagster_home()
        add_partitions(home, wanted)
        bar.advance(note="partitions ready; submitting")
        dagster = Path(sys.executable).with_name("dagster")
        result = subprocess.run(
            [str(dagster), "job", "backfill", "-w", str(WORKSPACE), "-j", args.job, "--partitions", ",".join(wanted),
             "--tags", '{"crm_pipelines/reason": "backfill"}', "--noprompt"],
            env={**os.environ, "DAGSTER_HOME": str(home)}, capture_output=True, text=True,
        )
        bar.advance(note="submitted")
    if result.returncode != 0:
        echo(result.stdout + result.stderr, err=True)
        echo(f"failed: dagster job backfill exited with {result.returncode}", err=True)
        return 1
    echo(f"backfill of {args.job} submitted for {', '.join(wanted)} (instance {home}); "
         f"runs queue one per tenant ({TENANT_TAG}) and resume from the cursors")
    return 0


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = commands.add_parser("backfill", parents=[parent],
                            help="Backfill a job over tenant partitions (after a reconnect or an outage).")
    p.add_argument("--tenants", required=True, help="Comma-separated tenant ids, e.g. acme,globex.")
    p.add_argument("--job", default="crm_sync", choices=JOBS, help="The job to backfill (default crm_sync).")
    p.set_defaults(run=backfill)
