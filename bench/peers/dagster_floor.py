"""Dagster's own share of the project's run: the code location loaded as project_sync.py loads it,
the same instance, tenant partition and run config, and 8 tenant-partitioned assets (one per
extracted object, the extraction's steps) that read and store nothing. What this costs, the
project's run pays whatever its assets do."""

from __future__ import annotations

import checkout  # noqa: F401  (first: this checkout's crm_pipelines, not the editable install's)

from dagster import AssetsDefinition, MaterializeResult, asset, materialize

from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.definitions import build_definitions
from project_sync import QUIET, tenant_instance
from salesforce_login import load_config, report


def empty_step(name: str) -> AssetsDefinition:
    @asset(name=name, **per_tenant("crm_extract", {"python"}))
    def _step() -> MaterializeResult:
        return MaterializeResult(metadata={"records_read": 0})

    return _step


def main() -> None:
    config = load_config()
    org = config["org"]
    instance = tenant_instance(config, "dagster-floor")
    defs = build_definitions(config["project_db"])
    steps = [empty_step(obj.asset) for obj in CRM_OBJECTS]
    result = materialize(steps, partition_key=org, instance=instance, resources=defs.resources, run_config=QUIET)
    assert result.success
    report(0)


if __name__ == "__main__":
    main()
