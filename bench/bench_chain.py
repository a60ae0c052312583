"""The whole chain benchmark (issue 17): every asset for one tenant's first connection — extraction,
matching, field sync (prospects created from the CRM's Leads and Contacts), workflows, list
rebuild, outbound push planning — materialized into PostgreSQL with default settings and an empty
app, against the simulator's org in its own process.

Figures, per asset: seconds and the peak resident memory of the pipeline process during its step
(a sampler thread reading /proc/self/status, see bench/rss.py). Also, in the same process, the
extraction alone (the crm_extract group into its own scratch database) and the ratios the issue
asks: chain seconds / extraction seconds (target <= 3) and the chain's peak (target <= 2048 MiB
at `large`).

`python -m bench.bench_chain [--scale small|medium|large]` (default large, as `make bench` runs
it); results are kept per scale in bench/results/chain.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from dagster import AssetSelection, DagsterEventType, DagsterInstance, materialize

from bench.pg import scratch_postgres
from bench.rss import RssSampler, high_water_mib, rss_mib
from bench.simproc import simulator_process
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import close_all, open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "chain.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
EXTRACTION = AssetSelection.groups("crm_extract")
TARGETS = {"chain_over_extraction": 3.0, "chain_peak_rss_mib_at_large": 2048}


def _register_tenant(url: str, base_url: str) -> None:
    tenant = validated(Tenant, {
        "id": "acme", "name": "Acme",
        "connection": {"login_url": base_url, "credentials": {
            "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}},
    }).with_settings({"api_budget.daily_limit": "10000000"})
    TenantRegistry(open_database(url)).add(tenant)


def _run(base_url: str, selection: AssetSelection | None, sampler: RssSampler) -> dict:
    """One materialization into a fresh scratch database; per step seconds and peak RSS."""
    with scratch_postgres() as url:
        _register_tenant(url, base_url)
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme"])
        defs = build_definitions(url)
        started = time.time()
        result = materialize(list(defs.assets), selection=selection, partition_key="acme", instance=instance,
                             resources=defs.resources, run_config=QUIET)
        ended = time.time()
        assert result.success
        steps = _step_windows(instance, result.run_id)
        metadata = _materialization_metadata(result)
        close_all()
    per_asset = {
        step: {"seconds": round(end - start, 2), "peak_rss_mib": round(sampler.peak_between(start, end)),
               **metadata.get(step, {})}
        for step, (start, end) in sorted(steps.items(), key=lambda kv: kv[1][0])
    }
    return {"seconds": round(ended - started, 2), "peak_rss_mib": round(sampler.peak_between(started, ended)),
            "assets": per_asset}


def _step_windows(instance: DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    windows: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            windows[event.step_key] = [entry.timestamp, entry.timestamp]
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            windows.setdefault(event.step_key, [entry.timestamp, entry.timestamp])[1] = entry.timestamp
    return {step: (w[0], w[1]) for step, w in windows.items()}


_KEPT = ("records_read", "records_created", "changes_applied", "rows")


def _materialization_metadata(result) -> dict[str, dict]:
    kept: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        md = event.event_specific_data.materialization.metadata
        kept[event.asset_key.to_user_string()] = {k: md[k].value for k in _KEPT if k in md}
    return kept


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_chain")
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "medium", "large"])
    args = parser.parse_args(argv)
    os.environ["BENCH_ACME_ID"] = "acme"
    os.environ["BENCH_ACME_SECRET"] = "acme-secret"
    with simulator_process(scale=args.scale) as base_url, RssSampler() as sampler:
        baseline = rss_mib()
        extraction = _run(base_url, EXTRACTION, sampler)
        chain = _run(base_url, None, sampler)
    records = sum(a.get("records_read", 0) for name, a in chain["assets"].items() if name.startswith("crm_"))
    after_extraction = {k: v for k, v in chain["assets"].items() if not k.startswith("crm_")}
    worst = max(after_extraction.items(), key=lambda kv: kv[1]["peak_rss_mib"])
    result = {
        "scale": args.scale,
        "records": records,
        "baseline_rss_mib": round(baseline),
        "extraction_alone": {"seconds": extraction["seconds"], "peak_rss_mib": extraction["peak_rss_mib"]},
        "chain": {"seconds": chain["seconds"], "peak_rss_mib": chain["peak_rss_mib"],
                  "high_water_mib": round(high_water_mib())},
        "chain_over_extraction": round(chain["seconds"] / extraction["seconds"], 2),
        "chain_peak_over_extraction_peak": round(chain["peak_rss_mib"] / max(1, extraction["peak_rss_mib"]), 2),
        "peak_asset": {"asset": worst[0], **worst[1]},
        "assets": chain["assets"],
        "targets": TARGETS,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[args.scale] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
