"""Tenants wired to a running simulator, and the comparisons the extraction tests make."""

from __future__ import annotations

import math
import os

import pandas as pd
from dagster import DagsterInstance, materialize

from crm_pipelines.core.crm_objects import CRM_OBJECTS, ExtractedObject
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import Database
from crm_pipelines.store.tenants import TenantRegistry


def register_sim_tenant(db: Database, sim, org: str, **settings: str) -> Tenant:
    """Register `org` of the simulator as a tenant of the same name, credentials in env vars."""
    prefix = f"SIM_{org.upper()}"
    os.environ[f"{prefix}_CLIENT_ID"] = org
    os.environ[f"{prefix}_CLIENT_SECRET"] = f"{org}-secret"
    tenant = validated(
        Tenant,
        {
            "id": org,
            "name": org.title(),
            "connection": {
                "login_url": sim.base_url,
                "credentials": {
                    "grant": "client_credentials",
                    "client_id_env": f"{prefix}_CLIENT_ID",
                    "client_secret_env": f"{prefix}_CLIENT_SECRET",
                },
            },
        },
    )
    if settings:
        tenant = tenant.with_settings(settings)
    return TenantRegistry(db).add(tenant)


def register_insightly_tenant(db: Database, sim, org: str, **settings: str) -> Tenant:
    """Register the simulator's Insightly org `org` as a tenant of the same name, its API key (the
    org's name, for the simulator) in an environment variable."""
    key_variable = f"SIM_{org.upper()}_INSIGHTLY_KEY"
    os.environ[key_variable] = org
    tenant = validated(Tenant, {
        "id": org,
        "name": org.title(),
        "connection": {"kind": "insightly", "login_url": sim.base_url, "api_key_env": key_variable},
    })
    if settings:
        tenant = tenant.with_settings(settings)
    return TenantRegistry(db).add(tenant)


def db_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def sync(db: Database, tenant: str, instance: DagsterInstance | None = None, *, resources: dict | None = None,
         clock_offset_seconds: float = 0.0, selection=None, tags: dict | None = None):
    """Materialize the extraction assets for one tenant through Dagster; returns the result."""
    instance = instance or DagsterInstance.ephemeral()
    if tenant not in instance.get_dynamic_partitions("tenants"):
        instance.add_dynamic_partitions("tenants", [tenant])
    defs = build_definitions(db_url(db), clock_offset_seconds=clock_offset_seconds)
    # Everything but the outbound pushes, which write to the CRM (run_job("outbound_push") runs them).
    assets = [a for a in defs.assets
              if (selection is None and "outbound" not in getattr(a, "group_names_by_key", {}).values())
              or (selection is not None and any(k.to_user_string() in selection for k in a.keys))]
    return materialize(
        assets, partition_key=tenant, instance=instance, resources={**defs.resources, **(resources or {})},
        raise_on_error=False, tags=tags,
    )


def metadata_by_asset(result) -> dict[str, dict]:
    out = {}
    for event in result.get_asset_materialization_events():
        md = event.event_specific_data.materialization.metadata
        out[event.asset_key.to_user_string()] = {k: v.value for k, v in md.items()}
    return out


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").isoformat() if value.tzinfo else value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def sim_rows(org_state, obj: ExtractedObject) -> dict[str, dict]:
    frame = org_state.rows(obj.name, include_deleted=True)
    out = {}
    for record in frame.to_dict("records"):
        out[record["Id"]] = {f.column: _plain(record.get(f.name)) for f in obj.fields}
        out[record["Id"]]["is_deleted"] = bool(record.get("IsDeleted", False)) if obj.soft_deletes else False
    return out


def warehouse_rows(db: Database, tenant: str, obj: ExtractedObject) -> dict[str, dict]:
    frame = read_records(db, obj, tenant)
    out = {}
    for record in frame.to_dict("records"):
        out[record["id"]] = {f.column: _plain(record.get(f.column)) for f in obj.fields}
        out[record["id"]]["is_deleted"] = bool(record["is_deleted"])
    return out


def assert_warehouse_equals_sim(db: Database, tenant: str, org_state, objects=CRM_OBJECTS) -> None:
    for obj in objects:
        expected = sim_rows(org_state, obj)
        actual = warehouse_rows(db, tenant, obj)
        assert actual.keys() == expected.keys(), (
            f"{obj.name}: ids differ: missing {sorted(expected.keys() - actual.keys())[:5]}, "
            f"extra {sorted(actual.keys() - expected.keys())[:5]}"
        )
        for record_id, fields in expected.items():
            assert actual[record_id] == fields, f"{obj.name} {record_id}: {actual[record_id]} != {fields}"


def run_job(db: Database, job_name: str, tenant: str, instance: DagsterInstance | None = None, *,
            clock_offset_seconds: float = 0.0, resources: dict | None = None, tags: dict | None = None):
    """Run one of the code location's jobs for one tenant partition, in process, as the daemon would."""
    instance = instance or DagsterInstance.ephemeral()
    if tenant not in instance.get_dynamic_partitions("tenants"):
        instance.add_dynamic_partitions("tenants", [tenant])
    defs = build_definitions(db_url(db), clock_offset_seconds=clock_offset_seconds)
    job = defs.resolve_job_def(job_name)
    return job.execute_in_process(instance=instance, partition_key=tenant, raise_on_error=False,
                                  tags={"crm_pipelines/tenant": tenant, **(tags or {})}, resources=resources)
