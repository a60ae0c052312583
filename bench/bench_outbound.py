"""Outbound push benchmark (issue 7): 100,000 activity events pushed as CRM Tasks into the
simulator (its own process) from a PostgreSQL store.

Figures: records a second for the delivery, API calls used against ceil(records/200) + 2 (one
composite call per 200 records, plus the login), peak memory, and that the CRM holds exactly one
Task per event afterwards (the control API's count per external id).
Target: API calls <= ceil(records/200) + 2.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import requests
from dagster import DagsterInstance

from bench.pg import scratch_postgres
from bench.simproc import simulator_process
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "outbound.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
EVENTS = 100_000


def _app_data(db) -> dict[str, pd.DataFrame]:
    """One prospect per live extracted Contact, and EVENTS activity events spread over them."""
    contacts = read_records(db, BY_NAME["Contact"], "acme")
    contacts = contacts.loc[~contacts["is_deleted"].astype(bool)].reset_index(drop=True)
    at = pd.Timestamp("2026-11-01", tz="UTC")
    prospects = pd.DataFrame({
        "prospect_id": [f"p-{i:06d}" for i in range(len(contacts))], "crm_id": contacts["id"], "crm_type": "Contact",
        "email": contacts["email"], "last_name": contacts["last_name"], "is_deleted": False,
        "created_at": at, "updated_at": at,
    })
    events = pd.DataFrame({
        "event_id": [f"ev-{i:06d}" for i in range(EVENTS)],
        "prospect_id": prospects["prospect_id"].to_numpy()[pd.RangeIndex(EVENTS) % len(prospects)],
        "user_id": None, "kind": "email_sent", "object_type": None, "object_id": None, "object_name": None,
        "occurred_at": [at + pd.Timedelta(seconds=i) for i in range(EVENTS)],
    })
    return {"prospects": prospects, "activity_events": events}


def main() -> int:
    os.environ["BENCH_ACME_ID"] = "acme"
    os.environ["BENCH_ACME_SECRET"] = "acme-secret"
    with simulator_process(scale="small") as base_url, scratch_postgres() as url:
        db = open_database(url)
        tenant = validated(Tenant, {
            "id": "acme", "name": "Acme",
            "connection": {"login_url": base_url, "credentials": {
                "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}},
        }).with_settings({"api_budget.daily_limit": "1000000", "push.app_to_crm": "false"})
        TenantRegistry(db).add(tenant)
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme"])
        defs = build_definitions(url)
        assert defs.resolve_job_def("crm_sync").execute_in_process(
            instance=instance, partition_key="acme", run_config=QUIET).success
        write_app_tables(db, "acme", _app_data(db))


        # The push run logs in itself: that call counts too.
        started = time.perf_counter()
        result = defs.resolve_job_def("outbound_push").execute_in_process(
            instance=instance, partition_key="acme", run_config=QUIET)
        job_seconds = time.perf_counter() - started
        assert result.success
        steps = {e.step_key: e for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
        delivery_seconds = steps["crm_push_results"].event_specific_data.duration_ms / 1000
        md = {e.asset_key.to_user_string(): {k: v.value for k, v in e.event_specific_data.materialization.metadata.items()}
              for e in result.get_asset_materialization_events()}["crm_push_results"]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = requests.get(f"{base_url}/_sim/orgs/acme/external-ids/Task", timeout=120).json()

    sent = md["sent"]
    allowed = math.ceil(EVENTS / 200) + 2
    once = sum(1 for v in counts.values() if v["creates"] == 1 and v["records"] == 1)
    figures = {
        "tasks": EVENTS,
        "sent": sent,
        "crm_tasks_created_exactly_once": once,
        "api_calls_used": md["api_calls_used"],
        "api_calls_allowed": allowed,
        "delivery_seconds": round(delivery_seconds, 2),
        "records_per_second": round(sent / delivery_seconds),
        "push_job_seconds": round(job_seconds, 2),
        "peak_rss_mb": round(peak_mb),
        "targets": {"api_calls_used": f"<= ceil(records/200) + 2 = {allowed}"},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    ok = sent == EVENTS and once == EVENTS and md["api_calls_used"] <= allowed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
