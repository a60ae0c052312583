"""`crm-pipelines backfill --tenants ...`: a backfill over any set of tenant partitions (O5).

It checks the tenants against the registry (a disconnected tenant is refused: T3), makes sure their
partitions exist, and submits the backfill through Dagster's own `dagster job backfill` on the
instance the UI uses; the queue runs one tenant at a time, and each sync resumes from its cursors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from crm_pipelines.instance import dagster_home
from crm_pipelines.partitions import TENANT_TAG, tenant_partitions
from crm_pipelines.refusals import refuse
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantNotFound, TenantRegistry

JOBS = ("crm_sync",)


@click.command()
@click.option("--tenants", required=True, help="Comma-separated tenant ids, e.g. acme,globex.")
@click.option("--job", default="crm_sync", show_default=True, type=click.Choice(JOBS), help="The job to backfill.")
def backfill(tenants: str, job: str) -> None:
    """Backfill a job over tenant partitions (after a reconnect or an outage)."""
    from dagster import DagsterInstance

    wanted = [t.strip() for t in tenants.split(",") if t.strip()]
    registry = TenantRegistry(open_database())
    problems = []
    for tenant_id in wanted:
        try:
            tenant = registry.get(tenant_id)
        except TenantNotFound as exc:
            problems.append(str(exc))
            continue
        if tenant.status != "connected":
            problems.append(f"tenant '{tenant_id}' is disconnected; reconnect it first (T3)")
    if not wanted or problems:
        refuse("; ".join(problems) or "name at least one tenant")

    home = dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    instance = DagsterInstance.from_config(str(home))
    missing = [t for t in wanted if t not in instance.get_dynamic_partitions(tenant_partitions.name)]
    if missing:
        instance.add_dynamic_partitions(tenant_partitions.name, missing)
    instance.dispose()

    workspace = Path(__file__).resolve().parents[2] / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "job", "backfill", "-w", str(workspace), "-j", job, "--partitions", ",".join(wanted),
         "--tags", f'{{"crm_pipelines/reason": "backfill"}}', "--noprompt"],
        env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        click.echo(result.stdout + result.stderr, err=True)
        sys.exit(1)
    click.echo(f"backfill of {job} submitted for {', '.join(wanted)} (instance {home}); "
               f"runs queue one per tenant ({TENANT_TAG}) and resume from the cursors")
