"""This project's extraction: the extraction assets (the crm_extract group) materialized for one tenant through Dagster,
into PostgreSQL, as a run of crm_sync would; the incremental run is the same materialization again
(the stored cursors decide what is read)."""

from __future__ import annotations

import checkout  # noqa: F401  (first: this checkout's crm_pipelines, not the editable install's)

import os
from pathlib import Path

from dagster import DagsterInstance, materialize

from crm_pipelines.assets.extract import extract_assets
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry
from salesforce_login import load_config, report

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def tenant_instance(config: dict, folder: str) -> DagsterInstance:
    """A Dagster instance kept in the run's state folder, with the org's tenant partition."""
    home = Path(config["state_dir"]) / folder
    home.mkdir(exist_ok=True)
    instance = DagsterInstance.local_temp(str(home))
    if not instance.has_dynamic_partition("tenants", config["org"]):
        instance.add_dynamic_partitions("tenants", [config["org"]])
    return instance


def main() -> None:
    config = load_config()
    org = config["org"]
    os.environ["BENCH_PEERS_CLIENT_ID"] = config["client_id"]
    os.environ["BENCH_PEERS_CLIENT_SECRET"] = config["client_secret"]
    if config["mode"] == "full":
        tenant = validated(Tenant, {
            "id": org, "name": org.title(),
            "connection": {"login_url": config["base_url"], "credentials": {
                "grant": "client_credentials", "client_id_env": "BENCH_PEERS_CLIENT_ID",
                "client_secret_env": "BENCH_PEERS_CLIENT_SECRET"}},
        }).with_settings({"api_budget.daily_limit": "1000000"})
        TenantRegistry(open_database(config["project_db"])).add(tenant)
    instance = tenant_instance(config, "dagster")
    defs = build_definitions(config["project_db"])
    result = materialize(extract_assets, partition_key=org, instance=instance, resources=defs.resources,
                         run_config=QUIET)
    assert result.success
    records = 0
    for event in result.get_asset_materialization_events():
        metadata = event.event_specific_data.materialization.metadata
        if event.asset_key.to_user_string().startswith("crm_") and "records_read" in metadata:
            records += metadata["records_read"].value
    report(records)


if __name__ == "__main__":
    main()
