"""Extraction per CRM dialect (issue 19): a full and an incremental sync of the same generated org
served as Salesforce (`acme`) and as Insightly (`hooli`), into PostgreSQL.

Figures per dialect: records read, API calls against the floor of the read's pages (Salesforce
REST: ceil(n/2000) a queried object; Insightly: ceil(n/500) an object, its search's `top`, contact
roles being read as the links of the opportunities read), and seconds; then the same after 1% of the people and companies change. Insightly's calls are more
than its floor by design: every sync also reads each object's Id set (brief pages of 500: it has
no delete log), pages overlap by a few records (its searches come in id order, which deletions
shift), and a Lead or Opportunity read first reads the lists its ids name.

The simulator runs in this process (its Insightly org let past Insightly's 10 calls a second, which
only a process of its own could not be told), so the seconds hold the simulator's work too, and its
Insightly dialect builds each record's JSON row by row; at the real rate an Insightly sync takes at least calls / 10 seconds,
written as `seconds_at_10_calls_a_second`. `--scale` (default small) picks the org's size.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, materialize

from bench.pg import scratch_postgres
from bench.results_file import machine, write_results
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "dialects.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
EXTRACTION = {obj.asset for obj in CRM_OBJECTS}
PAGE = {"salesforce": 2000, "insightly": 500}
ORGS = {"salesforce": "acme", "insightly": "hooli"}
CHANGED = {"Contact": "Title", "Lead": "Title", "Account": "Website", "Opportunity": "Name"}


def _tenant(dialect: str, base_url: str) -> Tenant:
    org = ORGS[dialect]
    if dialect == "insightly":
        os.environ["BENCH_HOOLI_KEY"] = org
        connection = {"kind": "insightly", "login_url": base_url, "api_key_env": "BENCH_HOOLI_KEY"}
    else:
        os.environ["BENCH_ACME_ID"], os.environ["BENCH_ACME_SECRET"] = org, f"{org}-secret"
        connection = {"login_url": base_url, "credentials": {
            "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}}
    return validated(Tenant, {"id": org, "name": org.title(), "connection": connection}).with_settings(
        {"api_budget.daily_limit": "1000000"})


def _sync(defs, instance, tenant_id: str) -> tuple[float, dict[str, dict]]:
    assets = [a for a in defs.assets if {k.to_user_string() for k in a.keys} <= EXTRACTION]
    started = time.perf_counter()
    result = materialize(assets, partition_key=tenant_id, instance=instance, resources=defs.resources,
                         run_config=QUIET)
    elapsed = time.perf_counter() - started
    assert result.success
    metadata = {}
    for event in result.get_asset_materialization_events():
        md = event.event_specific_data.materialization.metadata
        metadata[event.asset_key.to_user_string()] = {k: v.value for k, v in md.items()
                                                      if not hasattr(v.value, "md_str")}
    return elapsed, metadata


def _figures(dialect: str, seconds: float, metadata: dict[str, dict]) -> dict:
    per_object = {}
    for obj in CRM_OBJECTS:
        m = metadata[obj.asset]
        if str(m.get("mode", "")).startswith("skipped"):
            continue
        read = m["records_read"]
        if dialect == "insightly" and obj.name == "OpportunityContactRole":
            # Contact roles are the links of the opportunities read: their pages are the floor.
            read = metadata["crm_opportunities"]["records_read"]
        floor = max(1, math.ceil(read / PAGE[dialect]))
        per_object[obj.name] = {"records": m["records_read"], "api_calls": m["api_calls_used"], "floor": floor}
    calls = sum(o["api_calls"] for o in per_object.values())
    out = {"records": sum(o["records"] for o in per_object.values()), "api_calls": calls,
           "api_calls_floor": sum(o["floor"] for o in per_object.values()), "seconds": round(seconds, 2),
           "per_object": per_object}
    if dialect == "insightly":
        out["seconds_at_10_calls_a_second"] = round(max(seconds, calls / 10), 1)
    return out


def _change_one_percent(org) -> int:
    """Edit 1% of the live people, companies and opportunities, as CRM users would."""
    rng = random.Random(1)
    org.advance_clock(3600)
    changed = 0
    for name, field in CHANGED.items():
        rows = org.rows(name, include_deleted=False)
        if name == "Lead":
            rows = rows.loc[~rows["IsConverted"].astype(bool)]
        ids = rows["Id"].tolist()
        for record_id in rng.sample(ids, k=max(1, len(ids) // 100)):
            value = f"https://changed-{changed}.example" if field == "Website" else f"Changed {changed}"
            org.edit(name, record_id, {field: value})
            changed += 1
    org.advance_clock(60)
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_dialects")
    parser.add_argument("--scale", default="small", help="the generated org's size (default small)")
    args = parser.parse_args(argv)
    dialects = {}
    with run_simulator(orgs=("acme", "hooli:insightly"), scale=args.scale, seed=1) as sim, \
            scratch_postgres() as url:
        sim.second_rate("hooli").per_second = 1_000_000
        db = open_database(url)
        defs = build_definitions(url)
        for dialect, org in ORGS.items():
            TenantRegistry(db).add(_tenant(dialect, sim.base_url))
            instance = DagsterInstance.ephemeral()
            instance.add_dynamic_partitions("tenants", [org])
            full = _figures(dialect, *_sync(defs, instance, org))
            changed = _change_one_percent(sim.org(org))
            incremental = _figures(dialect, *_sync(defs, instance, org))
            dialects[dialect] = {"full": full, "incremental": {"changed_records": changed, **incremental}}
    return write_results(RESULTS, {"scale": args.scale, "dialects": dialects, "machine": machine(),
                                   "page_size": PAGE})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
