"""Extraction benchmark (issue 4): the extraction assets (the `crm_extract` group) materialized
for one tenant, a full sync of the `large` org into PostgreSQL, then an incremental sync after 1%
of the records change.

Figures: records a second, API calls against the minimum (ceil(records/2000) per object), peak
memory of the pipeline process, and the incremental sync's time as a share of the full sync's.
Targets: full < 60 s, peak < 3 GB, calls <= minimum + 2 per object, incremental < 10% of full.

    python -m bench extract                              # large, writes results/extract.json
    python -m bench.bench_extract --scale medium --profile

`--profile` runs both syncs under cProfile (every thread of the run: the page loop, the read-ahead
that fetches and parses pages, the writer that commits them) and writes the ten costliest functions
of each, by cumulative and by own time, with the simulator's CPU seconds (its own process) and the
API calls of each object beyond its result pages, to results/extract_profile.json.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import random
import re
import resource
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import requests
from dagster import DagsterInstance, materialize

from bench.results_file import machine, write_results
from bench.pg import scratch_postgres
from bench.simproc import simulator_process
from crm_pipelines.assets.extract import extract_assets
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.crm.salesforce.client import SalesforceClient
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "extract.json"
PROFILE = Path(__file__).resolve().parent / "results" / "extract_profile.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _sync(defs, instance) -> tuple[float, dict]:
    started = time.perf_counter()
    result = materialize(extract_assets, partition_key="acme", instance=instance, resources=defs.resources, run_config=QUIET)
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


@contextmanager
def _profiled(into: list[cProfile.Profile]):
    """cProfile over this thread and every thread started meanwhile (each has its own profiler)."""
    def start_in_thread(*_args) -> None:
        profile = cProfile.Profile()
        into.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread

    main_profile = cProfile.Profile()
    into.append(main_profile)
    threading.setprofile(start_in_thread)
    main_profile.enable()
    try:
        yield
    finally:
        main_profile.disable()
        threading.setprofile(None)


# Threads waiting for work (the read-ahead and the writer between pages): idle, not a cost.
_IDLE = ("<method 'acquire' of '_thread.lock' objects>", "threading.py")


def _top(profiles: list[cProfile.Profile], key: str, count: int = 10, within: str = "") -> list[dict]:
    """The `count` costliest functions of all `profiles` by `key` ("cumulative" or "tottime"),
    idle waits left out; `within`: only functions whose file path holds it."""
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if name in _IDLE or filename.endswith(_IDLE[1]) or within not in filename:
            continue
        where = filename.split("site-packages/")[-1].split("/work/wt/")[-1]
        rows.append({"function": f"{where}:{line}({name})", "calls": calls, "own_s": round(own, 3),
                     "cumulative_s": round(cumulative, 3)})
    field = "cumulative_s" if key == "cumulative" else "own_s"
    rows.sort(key=lambda row: row[field], reverse=True)
    return rows[:count]


def _simulator_cpu_seconds() -> float:
    """CPU seconds used so far by the simulator, this benchmark's `sim serve` child process."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and b"sim\x00serve" in (stat.parent / "cmdline").read_bytes():
                total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


@contextmanager
def _calls_by_kind(into: Counter):
    """Every HTTP request the Salesforce clients send meanwhile, by what it was for."""
    send = SalesforceClient._http

    def counted(self, method, url, *, what, **kwargs):  # type: ignore[no-untyped-def]
        into[_kind(what)] += 1
        return send(self, method, url, what=what, **kwargs)

    SalesforceClient._http = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        SalesforceClient._http = send  # type: ignore[method-assign]


def _kind(what: str) -> str:
    """A request's label without its fields, conditions or job id: what kind of call it was."""
    return re.sub(r"job \S+", "job", re.sub(r"SELECT .*", "SELECT ...", re.sub(r"SELECT .*? FROM (\w+).*", r"FROM \1", what)))


def _measured_sync(defs, instance, profile: bool) -> tuple[float, dict, dict]:
    """One sync, with its client and simulator CPU seconds, its API calls by kind and, profiled,
    its costliest functions."""
    cpu, sim_cpu = time.process_time(), _simulator_cpu_seconds()
    profiles: list[cProfile.Profile] = []
    calls: Counter = Counter()
    with _calls_by_kind(calls):
        if profile:
            with _profiled(profiles):
                seconds, metadata = _sync(defs, instance)
        else:
            seconds, metadata = _sync(defs, instance)
    figures = {"seconds": round(seconds, 2), "client_cpu_seconds": round(time.process_time() - cpu, 2),
               "simulator_cpu_seconds": round(_simulator_cpu_seconds() - sim_cpu, 2),
               "api_calls_beyond_pages": {obj.name: metadata[obj.asset]["api_calls_used"] - metadata[obj.asset]["query_pages"]
                                          for obj in CRM_OBJECTS},
               "api_calls_by_kind": dict(sorted(calls.items()))}
    if profiles:
        figures["top_cumulative"] = _top(profiles, "cumulative")
        figures["top_cumulative_crm_pipelines"] = _top(profiles, "cumulative", within="crm_pipelines/")
        figures["top_own_time"] = _top(profiles, "tottime")
    return seconds, metadata, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_extract")
    parser.add_argument("--scale", default="large", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--profile", action="store_true", help="profile both syncs into results/extract_profile.json")
    parser.add_argument("--tag", default=None, help="with --profile: results/extract_profile_<tag>.json instead")
    args = parser.parse_args(argv)
    os.environ["BENCH_ACME_ID"] = "acme"
    os.environ["BENCH_ACME_SECRET"] = "acme-secret"
    with simulator_process(scale=args.scale) as base_url, scratch_postgres() as url:
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

        full_seconds, full, full_figures = _measured_sync(defs, instance, args.profile)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        changed = change_one_percent(base_url, args.scale)
        incr_seconds, incr, incr_figures = _measured_sync(defs, instance, args.profile)
    result = _result(full_seconds, full, incr_seconds, incr, peak_mb, changed)
    if args.profile:
        profile_file = PROFILE.with_name(f"extract_profile_{args.tag}.json") if args.tag else PROFILE
        return write_results(profile_file, {"scale": args.scale, "database": "postgresql", "machine": {
            **machine(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
            "records": result["records"], "peak_rss_mb": result["peak_rss_mb"],
            "full": full_figures, "incremental": {"changed_records": changed, **incr_figures}})
    return write_results(RESULTS if args.scale == "large" else RESULTS.with_name(f"extract_{args.scale}.json"), result)


def _result(full_seconds: float, full: dict, incr_seconds: float, incr: dict, peak_mb: float, changed: int) -> dict:
    records = sum(m["records_read"] for name, m in full.items() if name.startswith("crm_"))
    per_object = {}
    for obj in CRM_OBJECTS:
        m = full[obj.asset]
        minimum = max(1, math.ceil(m["records_read"] / 2000))
        per_object[obj.name] = {"records": m["records_read"], "query_calls": m["query_pages"], "minimum": minimum,
                                "api_calls": m["api_calls_used"]}
    calls_used = 1_000_000 - min(m["api_calls_left"] for n, m in full.items() if n.startswith("crm_"))
    incr_records = sum(m["rows_upserted"] for n, m in incr.items() if n.startswith("crm_"))
    minimum_total = sum(o["minimum"] for o in per_object.values())
    return {
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


if __name__ == "__main__":
    sys.exit(main())
