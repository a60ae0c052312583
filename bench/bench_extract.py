"""Extraction benchmark (issue 4): full sync of the `large` org into PostgreSQL, then an
incremental sync after 1% of the records change.

Figures: records a second, API calls against the minimum (ceil(records/2000) per object), peak
memory of the pipeline process, and the incremental sync's time as a share of the full sync's.
Targets: full < 60 s, peak < 3 GB, calls <= minimum + 2 per object, incremental < 10% of full.
"""

from __future__ import annotations

import math
import os
import random
import resource
import sys
import time
from pathlib import Path

import requests
from dagster import DagsterInstance, materialize

from bench.results_file import write_results
from bench.pg import scratch_postgres
from bench.simproc import simulator_process
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "extract.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _sync(defs, instance) -> tuple[float, dict]:
    started = time.perf_counter()
    result = materialize(list(defs.assets), partition_key="acme", instance=instance, resources=defs.resources, run_config=QUIET)
    elapsed = time.perf_counter() - started
    assert result.success
    metadata = {}
    for event in result.get_asset_materialization_events():
        md = event.event_specific_data.materialization.metadata
        metadata[event.asset_key.to_user_string()] = {k: v.value for k, v in md.items() if not hasattr(v.value, "md_str")}
    return elapsed, metadata


def change_one_percent(base_url: str, scale: str = "large", org: str = "acme") -> int:
    """Edit 1% of the records through the simulator's control API, as CRM users would."""
    from crm_pipelines.sim.generate import generate_org

    tables = generate_org(org, scale, seed=1).tables  # the same data the simulator serves
    session = requests.Session()
    rng = random.Random(1)
    changed = 0
    for obj in ("Contact", "Lead", "Account", "Opportunity", "OpportunityContactRole"):
        frame = tables[obj]
        ids = frame.loc[~frame["IsDeleted"].astype(bool), "Id"].tolist()
        if obj == "Lead":
            ids = frame.loc[~frame["IsDeleted"].astype(bool) & ~frame["IsConverted"].astype(bool), "Id"].tolist()
        field = {"Contact": "Title", "Lead": "Title", "Account": "Industry", "Opportunity": "Name", "OpportunityContactRole": "Role"}[obj]
        for record_id in rng.sample(ids, k=max(1, len(ids) // 100)):
            value = "Partner" if obj == "OpportunityContactRole" else f"Changed {changed}"
            response = session.patch(f"{base_url}/_sim/orgs/{org}/sobjects/{obj}/{record_id}", json={field: value})
            response.raise_for_status()
            changed += 1
    return changed


def main() -> int:
    os.environ["BENCH_ACME_ID"] = "acme"
    os.environ["BENCH_ACME_SECRET"] = "acme-secret"
    with simulator_process(scale="large") as base_url, scratch_postgres() as url:
        db = open_database(url)
        tenant = validated(Tenant, {
            "id": "acme", "name": "Acme",
            "connection": {"login_url": base_url, "credentials": {
                "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}},
        }).with_settings({"api_budget.daily_limit": "1000000"})
        TenantRegistry(db).add(tenant)
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme"])
        defs = build_definitions(url)

        full_seconds, full = _sync(defs, instance)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        records = sum(m["records_read"] for name, m in full.items() if name.startswith("crm_"))
        per_object = {}
        for obj in CRM_OBJECTS:
            m = full[obj.asset]
            minimum = max(1, math.ceil(m["records_read"] / 2000))
            per_object[obj.name] = {"records": m["records_read"], "query_calls": m["query_pages"], "minimum": minimum,
                                    "api_calls": m["api_calls_used"]}
        calls_used = 1_000_000 - min(m["api_calls_left"] for n, m in full.items() if n.startswith("crm_"))

        changed = change_one_percent(base_url)
        incr_seconds, incr = _sync(defs, instance)
        incr_records = sum(m["rows_upserted"] for n, m in incr.items() if n.startswith("crm_"))

    minimum_total = sum(o["minimum"] for o in per_object.values())
    result = {
        "full_sync_seconds": round(full_seconds, 2),
        "records": records,
        "records_per_second": round(records / full_seconds),
        "api_calls_used": calls_used,
        "api_calls_minimum": minimum_total,
        "api_calls_over_minimum_per_object": round((calls_used - minimum_total) / len(per_object), 2),
        "per_object": per_object,
        "peak_rss_mb": round(peak_mb),
        "incremental_changed_records": changed,
        "incremental_rows_upserted": incr_records,
        "incremental_seconds": round(incr_seconds, 2),
        "incremental_share_of_full": round(incr_seconds / full_seconds, 3),
        "targets": {"full_sync_seconds": 60, "peak_rss_mb": 3072, "api_calls_over_minimum_per_object": 2,
                    "incremental_share_of_full": 0.10},
    }
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main())
