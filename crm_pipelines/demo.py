"""`crm-pipelines demo`: the pipeline on the embedded default, end to end, with a summary.

It starts the CRM simulator on a free loopback port with three orgs, registers a tenant for each,
and runs the CRM sync for all of them through a real Dagster instance. One tenant's daily API
budget is set too small on purpose: its sync runs out, defers, and the `api_limit_backoff` sensor
resumes it once the pipeline clock is moved past the window (the demo cannot wait 24 hours).

The demo keeps its own data under `<data folder>/demo` and starts from scratch each time, so it
never touches a real tenant's data and always tells the same story.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetSelection, DagsterInstance, RunRequest, SkipReason, build_sensor_context

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.sensors import TENANT_TAG, api_limit_backoff
from crm_pipelines.clock import ClockResource
from crm_pipelines.crm.objects import CRM_OBJECTS
from crm_pipelines.definitions import build_definitions
from crm_pipelines.instance import EMBEDDED_DAGSTER_YAML
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.paths import data_dir
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tables import metadata
from crm_pipelines.store.tenants import TenantRegistry

DEMO_ORGS = ("acme", "globex", "initech")
DEMO_SETTINGS: dict[str, dict[str, str]] = {
    "acme": {"sync.frequency_minutes": "15", "push.interval_minutes": "30"},
    # Too small for a first full sync on purpose: the demo shows the deferral and its resumption.
    "globex": {"api_budget.daily_limit": "6", "connector.match_by_email": "false"},
    "initech": {"push.enabled": "false"},
}
DAY_AND_A_BIT = 24 * 3600 + 120
# The runs' step-by-step logs stay in the instance (and the UI); the terminal gets the story.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class TenantStory:
    tenant: str
    runs: int = 0
    resumed: int = 0
    notes: list[str] = field(default_factory=list)


def demo_home() -> Path:
    home = data_dir() / "demo"
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text(EMBEDDED_DAGSTER_YAML)
    return home


SIM_FILE = "simulator.json"
PREFERRED_SIM_PORT = 8765


def demo_credentials(org: str) -> dict[str, str]:
    """The simulator's credentials for an org, as the env vars the demo tenant names (the way
    production hands credentials over); the simulator's are public, so `make ui` sets them too."""
    return {f"DEMO_{org.upper()}_CLIENT_ID": org, f"DEMO_{org.upper()}_CLIENT_SECRET": f"{org}-secret"}


def _sim_port() -> int:
    """The simulator's usual port when free, so `make ui` can bring the same CRM back later."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", PREFERRED_SIM_PORT))
        except OSError:
            return 0
    return PREFERRED_SIM_PORT


def demo_tenant(org: str, login_url: str) -> Tenant:
    env_prefix = f"DEMO_{org.upper()}"
    os.environ.update(demo_credentials(org))
    base = validated(
        Tenant,
        {
            "id": org,
            "name": f"{org.title()} Inc.",
            "connection": {
                "kind": "salesforce",
                "login_url": login_url,
                "credentials": {
                    "grant": "client_credentials",
                    "client_id_env": f"{env_prefix}_CLIENT_ID",
                    "client_secret_env": f"{env_prefix}_CLIENT_SECRET",
                },
            },
        },
    )
    return base.with_settings(DEMO_SETTINGS.get(org, {}))


def run_demo(echo: Callable[[str], None] = print) -> int:
    started = time.monotonic()
    home = demo_home()
    db_url = f"sqlite:///{home / 'crm_pipelines.db'}"
    db = open_database(db_url)
    echo(f"demo data: {home}")

    with run_simulator(orgs=DEMO_ORGS, scale="tiny", seed=1, port=_sim_port()) as sim:
        echo(f"CRM simulator: {sim.base_url} (orgs {', '.join(DEMO_ORGS)})")
        port = int(sim.base_url.rsplit(":", 1)[1])
        (home / SIM_FILE).write_text(json.dumps({"port": port, "orgs": list(DEMO_ORGS), "scale": "tiny", "seed": 1}))
        tenants = TenantRegistry(db).add_many([demo_tenant(org, sim.base_url) for org in DEMO_ORGS])
        for t in tenants:
            echo(f"registered tenant {t.id:<8} sync every {t.settings.sync.frequency_minutes} min, "
                 f"API limit {t.settings.api_budget.daily_limit}/day, pushes {'on' if t.settings.push.enabled else 'off'}")
        for t in tenants:
            app_data = app_data_for_org(sim.org(t.id), seed=1)
            write_app_tables(db, t.id, app_data)
            echo(f"app data for {t.id:<8} {len(app_data['app_users'])} users, {len(app_data['prospects'])} prospects, "
                 f"{len(app_data['companies'])} companies (seeded from the org's records)")

        os.environ["DAGSTER_HOME"] = str(home / "dagster")
        instance = DagsterInstance.from_config(str(home / "dagster"))
        instance.add_dynamic_partitions(tenant_partitions.name, [t.id for t in tenants])
        stories = {t.id: TenantStory(t.id) for t in tenants}

        echo("\n1. CRM sync for every tenant")
        defs = build_definitions(database_url=db_url)
        for t in tenants:
            result = defs.resolve_job_def("crm_sync").execute_in_process(
                instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id}, run_config=QUIET, raise_on_error=False
            )
            stories[t.id].runs += 1
            if not result.success:
                echo(f"   run for {t.id} failed; see `make ui`")
                return 1
            open_deferrals = DeferralStore(db).open(t.id)
            if open_deferrals:
                d = open_deferrals[0]
                echo(f"   {t.id}: API budget ran out; deferred {', '.join(d.objects)} until {d.resume_at:%Y-%m-%d %H:%M} UTC")
            else:
                echo(f"   {t.id}: synced")

        echo("\n2. The api_limit_backoff sensor")
        now_requests = _evaluate_sensor(instance, db_url, 0)
        echo(f"   now: {'nothing to launch' if not now_requests else now_requests}")
        offset = DAY_AND_A_BIT
        while DeferralStore(db).open():
            requests = _evaluate_sensor(instance, db_url, offset)
            echo(f"   pipeline clock +{offset / 3600:.0f} h: {len(requests)} run(s) to launch")
            if not requests:
                offset += DAY_AND_A_BIT
                continue
            resumed_defs = build_definitions(database_url=db_url, clock_offset_seconds=offset)
            for request in requests:
                job = resumed_defs.resolve_job_def(request.job_name).get_subset(asset_selection=set(request.asset_selection))
                result = job.execute_in_process(
                    instance=instance, partition_key=request.partition_key,
                    tags={**request.tags, "dagster/run_key": request.run_key}, run_config=QUIET, raise_on_error=False,
                )
                story = stories[request.partition_key]
                story.runs += 1
                story.resumed += 1
                still = DeferralStore(db).open(request.partition_key)
                echo(f"   resumed {request.partition_key} ({request.run_key}): "
                     + ("done" if result.success and not still else f"deferred again ({', '.join(still[0].objects)})"))
            offset += DAY_AND_A_BIT

        resumed = [t.id for t in tenants if stories[t.id].resumed]
        if resumed:
            echo("\n3. Matching and field sync again for the resumed tenants, on their complete extraction")
            rematch = defs.resolve_job_def("crm_sync").get_subset(
                asset_selection=AssetSelection.groups("matching", "field_sync").resolve(defs.resolve_asset_graph()))
            for tenant_id in resumed:
                result = rematch.execute_in_process(
                    instance=instance, partition_key=tenant_id, tags={TENANT_TAG: tenant_id}, run_config=QUIET,
                    raise_on_error=False)
                stories[tenant_id].runs += 1
                if not result.success:
                    echo(f"   run for {tenant_id} failed; see `make ui`")
                    return 1
                echo(f"   {tenant_id}: matched and synced")

        echo("\nThe daily list rebuild (auto-save lists), for every connected tenant")
        rebuild = defs.resolve_job_def("auto_save_rebuild")
        for t in tenants:
            result = rebuild.execute_in_process(
                instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id}, run_config=QUIET, raise_on_error=False)
            stories[t.id].runs += 1
            if not result.success:
                echo(f"   list rebuild for {t.id} failed; see `make ui`")
                return 1
            lists = read_lists(db, t.id)
            echo(f"   {t.id}: {lists['user_id'].nunique()} users, {int((lists['list'] == 'accounts').sum())} accounts and "
                 f"{int((lists['list'] == 'leads_and_contacts').sum())} leads and contacts saved")

        echo("")
        _print_summary(echo, db, tenants, stories)
    echo(f"\ndone in {time.monotonic() - started:.1f} s; open the UI on this data with `make ui`")
    return 0


def _evaluate_sensor(instance: DagsterInstance, db_url: str, offset_seconds: float) -> list[RunRequest]:
    context = build_sensor_context(
        instance=instance,
        resources={"database": DatabaseResource(database_url=db_url), "clock": ClockResource(offset_seconds=offset_seconds)},
    )
    result = api_limit_backoff(context)
    return [] if isinstance(result, SkipReason) else list(result)


def _print_summary(echo: Callable[[str], None], db: Database, tenants: list[Tenant], stories: dict[str, TenantStory]) -> None:
    header = (f"{'tenant':<9} {'records':>8} {'accounts':>8} {'contacts':>8} {'leads':>6} {'API calls':>9} "
              f"{'limit/day':>9} {'runs':>5} {'deferrals':>9} {'resumed':>8} {'users':>6} {'prospects':>9} "
              f"{'companies':>9} {'log changes':>11} {'list items':>10}")
    echo(header)
    echo("-" * len(header))
    for t in tenants:
        counts = {obj.name: len(read_records(db, obj, t.id)) for obj in CRM_OBJECTS}
        matched = {name: len(read_tenant_partition(db, metadata.tables[name], t.id))
                   for name in ("matched_users", "matched_prospects", "matched_accounts")}
        s = stories[t.id]
        echo(f"{t.id:<9} {sum(counts.values()):>8} {counts['Account']:>8} {counts['Contact']:>8} {counts['Lead']:>6} "
             f"{_calls_ever(db, t.id):>9} {t.settings.api_budget.daily_limit:>9} {s.runs:>5} "
             f"{DeferralStore(db).count(t.id):>9} {s.resumed:>8} {matched['matched_users']:>6} "
             f"{matched['matched_prospects']:>9} {matched['matched_accounts']:>9} {len(read_log(db, t.id)):>11} "
             f"{len(read_lists(db, t.id)):>10}")
    echo("users, prospects, companies: app records matched to CRM records; log changes: connector-log rows "
         "(see `crm-pipelines log --tenant <tenant>`); list items: auto-save list entries of all users")


def _calls_ever(db: Database, tenant_id: str) -> int:
    from sqlalchemy import func, select

    from crm_pipelines.store.tables import api_calls

    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(api_calls.c.calls), 0)).where(api_calls.c.tenant_id == tenant_id)).scalar_one())
