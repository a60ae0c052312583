"""`crm-pipelines demo`: the whole pipeline on the embedded default, end to end, with a summary.

The demo keeps its own data under `<data folder>/demo` and starts from scratch each time, so it
never touches a real tenant's data and always shows the same story.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterInstance, materialize

from crm_pipelines.definitions import build_definitions
from crm_pipelines.instance import EMBEDDED_DAGSTER_YAML
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.paths import data_dir
from crm_pipelines.settings import Tenant
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

DEMO_ORGS = ("acme", "globex", "initech")
# The runs' own step-by-step log stays in the instance (and the UI); the terminal gets the story.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
DEMO_SETTINGS: dict[str, dict[str, str]] = {
    "acme": {"sync.frequency_minutes": "15", "push.interval_minutes": "30"},
    "globex": {"api_budget.daily_limit": "2000", "connector.match_by_email": "false"},
    "initech": {"push.enabled": "false", "auto_save.enabled": "true"},
}


def demo_home() -> Path:
    home = data_dir() / "demo"
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text(EMBEDDED_DAGSTER_YAML)
    return home


def demo_tenant(org: str, login_url: str) -> Tenant:
    env_prefix = f"DEMO_{org.upper()}"
    base = Tenant.model_validate(
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
        }
    )
    return base.with_settings(DEMO_SETTINGS.get(org, {}))


def run_demo(echo: Callable[[str], None] = print) -> int:
    started = time.monotonic()
    home = demo_home()
    db_url = f"sqlite:///{home / 'crm_pipelines.db'}"
    db = open_database(db_url)
    registry = TenantRegistry(db)
    echo(f"demo data: {home}")

    tenants = registry.add_many([demo_tenant(org, f"https://{org}.my.salesforce.example") for org in DEMO_ORGS])
    for t in tenants:
        echo(f"registered tenant {t.id:<8} sync every {t.settings.sync.frequency_minutes} min, "
             f"API limit {t.settings.api_budget.daily_limit}/day, pushes {'on' if t.settings.push.enabled else 'off'}")

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    instance = DagsterInstance.from_config(str(home / "dagster"))
    instance.add_dynamic_partitions(tenant_partitions.name, [t.id for t in tenants])

    defs = build_definitions(database_url=db_url)
    assets = list(defs.assets or [])
    resources = defs.resources or {}
    summary = []
    for t in tenants:
        result = materialize(
            assets, partition_key=t.id, instance=instance, resources=resources, run_config=QUIET, tags={"crm_pipelines/tenant": t.id}
        )
        materialized = [
            e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key
        ]
        summary.append((t.id, result.success, materialized))
        if not result.success:
            echo(f"run for {t.id} failed")
            return 1

    echo("")
    echo(f"{'tenant':<10} {'run':<8} assets materialized")
    for tenant_id, ok, materialized in summary:
        echo(f"{tenant_id:<10} {'ok' if ok else 'FAILED':<8} {', '.join(materialized)}")
    echo(f"\ndone in {time.monotonic() - started:.1f} s; open the UI on this data with `make ui`")
    return 0
