"""`synced_opportunities` alone at a large and an extra-large org's size (issue 17): the app's
read-only copies of every Opportunity, created on the first run and compared on the next, without
the rest of the chain around it.

Per scale, against the simulator's org in its own process and a scratch PostgreSQL database:
everything upstream of the asset is materialized in a child process (so what it allocated is not
this process's), then the asset twice, each run in a process of its own: the first run (every copy created) and a
second with nothing changed. Figures per run: seconds, the peak of resident memory above the
resident memory just before it (bench.rss samples it), and the copies the app holds after it,
counted in the app's table.

    python -m bench.bench_opportunities                 # large and xlarge
    python -m bench.bench_opportunities --scale medium  # one scale
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

from dagster import AssetKey, AssetSelection, materialize
from sqlalchemy import text

from bench.bench_chain import QUIET, _in_child, _lane
from bench.results_file import machine, write_results
from bench.rss import RssSampler, rss_mib
from bench.simproc import simulator_process
from crm_pipelines.definitions import build_definitions
from crm_pipelines.store.database import close_all, open_database

RESULTS = Path(__file__).resolve().parent / "results" / "opportunities.json"
ASSET = AssetKey("synced_opportunities")


def _instance():
    from dagster import DagsterInstance

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    return instance


def _upstream(url: str) -> None:
    """Every asset the opportunity sync reads, into `url`."""
    defs = build_definitions(url)
    result = materialize(list(defs.assets), selection=AssetSelection.assets(ASSET).upstream() - AssetSelection.assets(ASSET),
                         partition_key="acme", instance=_instance(), resources=defs.resources, run_config=QUIET)
    assert result.success


def _copies(url: str) -> int:
    with open_database(url).engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM app_opportunities WHERE tenant_id = 'acme'")).scalar_one())


def _asset_run(url: str) -> dict:
    """One run of the asset into `url`, in a process of its own: its peak is its own."""
    defs = build_definitions(url)
    instance = _instance()
    gc.collect()
    baseline = rss_mib()
    with RssSampler(0.01) as sampler:
        started = time.perf_counter()
        result = materialize(list(defs.assets), selection=AssetSelection.assets(ASSET), partition_key="acme",
                             instance=instance, resources=defs.resources, run_config=QUIET)
        seconds = time.perf_counter() - started
    assert result.success
    close_all()
    (event,) = result.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    return {"seconds": round(seconds, 2), "peak_above_baseline_mib": round(max(sampler.mib) - baseline),
            "records_created": metadata["records_created"].value, "changes_applied": metadata["changes_applied"].value,
            "copies_in_app": _copies(url)}


def one_scale(scale: str) -> dict:
    with simulator_process(scale=scale) as base_url, _lane(base_url) as lane:
        started = time.perf_counter()
        _in_child(_upstream, lane.url)
        upstream = round(time.perf_counter() - started, 1)
        first = _in_child(_asset_run, lane.url)
        second = _in_child(_asset_run, lane.url)
    return {"upstream_seconds": upstream, "first_run": first, "second_run_nothing_changed": second}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", help="a scale to run (default: large and xlarge)")
    args = parser.parse_args(argv)
    os.environ["BENCH_ACME_ID"], os.environ["BENCH_ACME_SECRET"] = "acme", "acme-secret"
    scales = args.scale or ["large", "xlarge"]
    result = {"machine": machine(), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for scale in scales:
        result[scale] = one_scale(scale)
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
