"""The whole chain benchmark (issue 17): every asset for one tenant — extraction, matching, field
sync (prospects created from the CRM's Leads and Contacts), workflows, list rebuild, outbound push
planning — materialized into PostgreSQL with default settings, against the simulator's org in its
own process.

Figures, per asset: seconds and the peak resident memory of the pipeline process during its step
(a sampler thread reading /proc/self/status, see bench/rss.py). Also, in the same process, the
extraction alone (the crm_extract group into its own scratch database) and the ratio the issue
asks: chain seconds / extraction seconds.

Scenarios, each kept under its own key in bench/results/chain.json:

- `--app empty` (key `<scale>`): the first run of every asset with an empty app (target <= 3×);
- `--app seeded` (key `<scale>_seeded`): the same with the app seeded at size before the run
  (crm_pipelines.app_seed.AppSizes: 2,000 users and 200,000 prospects at `large`, half of them
  matching the CRM by id or email; other scales in proportion to their Contacts and Leads unless
  `--app-users` / `--app-prospects` say otherwise), target <= 3×;
- `--incremental` (key `<scale>[_seeded]_incremental`): after the first run, 1% of the org's
  records edited through the simulator's control API, then the extraction alone and the whole
  chain again on the same databases (target <= 10×).
`--key-suffix S` appends S to the keys of the one scenario run, so a measurement is kept apart
from the entries the issue's set reads (`--scale medium --incremental --key-suffix _x` writes
`medium_x` and `medium_incremental_x`). `--settle` (with `--incremental`) runs the chain once more,
unchanged, before the 1% edit: the first run after prospects were created from the CRM compares
them all (they are new to it), so the step measured is then a tenant's steady incremental run.

With none of these options (as `make bench` runs it) it runs the set the issue asks, each in its
own process: `<scale>` with its incremental step, `<scale>_seeded`, and the first run at the next
scale up (`--curve`, xlarge after large) for time per record and memory from one size to the
next; the ratios of that set go under `issue17_<scale>`.

    python -m bench.bench_chain                                   # large, large seeded, xlarge
    python -m bench.bench_chain --scale medium --curve none       # the set at medium
    python -m bench.bench_chain --scale medium --app seeded --incremental
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetSelection, DagsterEventType, DagsterInstance, Definitions, materialize

from bench.bench_extract import change_one_percent
from bench.pg import scratch_postgres
from bench.rss import RssSampler, high_water_mib, rss_mib
from bench.simproc import simulator_process
from crm_pipelines.app_seed import SEEDED_OBJECTS, AppSizes, seed_app_data_at_size
from crm_pipelines.definitions import build_definitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.generate import SCALES, generate_org
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.database import close_all, open_database
from crm_pipelines.store.tenants import TenantRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "chain.json"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
EXTRACTION = AssetSelection.groups("crm_extract")
TARGETS = {"chain_over_extraction": 3.0, "chain_peak_rss_mib_at_large": 2048}
INCREMENTAL_TARGETS = {"chain_over_extraction": 10.0}
NEXT_SCALE = {"large": "xlarge"}  # the curve's second point after a scale, by default


@dataclass(frozen=True)
class Lane:
    """A scratch database with the tenant registered, its Dagster instance and definitions, kept
    for the whole scenario so a second run is incremental, as a tenant's next sync is."""

    url: str
    instance: DagsterInstance
    defs: Definitions


def _register_tenant(url: str, base_url: str) -> None:
    tenant = validated(Tenant, {
        "id": "acme", "name": "Acme",
        "connection": {"login_url": base_url, "credentials": {
            "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}},
    }).with_settings({"api_budget.daily_limit": "10000000"})
    TenantRegistry(open_database(url)).add(tenant)


@contextmanager
def _lane(base_url: str) -> Iterator[Lane]:
    with scratch_postgres() as url:
        _register_tenant(url, base_url)
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme"])
        yield Lane(url, instance, build_definitions(url))


def _run(lane: Lane, selection: AssetSelection | None, sampler: RssSampler) -> dict:
    """One materialization into the lane's database; per step seconds and peak RSS."""
    started = time.time()
    result = materialize(list(lane.defs.assets), selection=selection, partition_key="acme", instance=lane.instance,
                         resources=lane.defs.resources, run_config=QUIET)
    ended = time.time()
    assert result.success
    steps = _step_windows(lane.instance, result.run_id)
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


_KEPT = ("records_read", "records_created", "changes_applied", "rows", "sent", "api_calls_used", "comparison",
         "records_compared", "records_skipped")


def _materialization_metadata(result) -> dict[str, dict]:
    kept: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        md = event.event_specific_data.materialization.metadata
        kept[event.asset_key.to_user_string()] = {k: md[k].value for k in _KEPT if k in md}
    return kept


def app_sizes(scale: str, users: int | None = None, prospects: int | None = None) -> AppSizes:
    """The seeded app at `scale`: AppSizes() at large, other scales in proportion to their Contacts
    and Leads (at least 10 users and 100 prospects), unless given."""
    large, size = SCALES["large"], SCALES[scale]
    share = (size.contacts + size.leads) / (large.contacts + large.leads)
    default = AppSizes()
    return AppSizes(users=users or max(10, round(default.users * share)),
                    prospects=prospects or max(100, round(default.prospects * share)))


def _seed_app(url: str, scale: str, sizes: AppSizes) -> dict:
    """Seed the app of tenant acme in `url` from the org the simulator serves (seed 1)."""
    started = time.perf_counter()
    data = generate_org("acme", scale, seed=1)  # type: ignore[arg-type]
    frames = seed_app_data_at_size({name: data.tables[name] for name in SEEDED_OBJECTS}, sizes, seed=1, now=data.now)
    written = write_app_tables(open_database(url), "acme", frames)
    close_all()
    return {"users": sizes.users, "prospects": sizes.prospects, "prospects_by_id": sizes.by_id,
            "prospects_by_email": sizes.by_email, "prospects_new": sizes.new, "rows_written": written,
            "seconds": round(time.perf_counter() - started, 2)}


def _in_child(function: Callable, *args: object) -> object:
    """`function(*args)` in a fresh process, so what it allocates is not the pipeline process's."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _summary(scale: str, records: int, baseline: float, extraction: dict, chain: dict, targets: dict) -> dict:
    after_extraction = {k: v for k, v in chain["assets"].items() if not k.startswith("crm_")}
    worst = max(after_extraction.items(), key=lambda kv: kv[1]["peak_rss_mib"])
    return {
        "scale": scale,
        "records": records,
        "baseline_rss_mib": round(baseline),
        "extraction_alone": {"seconds": extraction["seconds"], "peak_rss_mib": extraction["peak_rss_mib"]},
        "chain": {"seconds": chain["seconds"], "peak_rss_mib": chain["peak_rss_mib"],
                  "high_water_mib": round(high_water_mib())},
        "chain_over_extraction": round(chain["seconds"] / extraction["seconds"], 2),
        "chain_peak_over_extraction_peak": round(chain["peak_rss_mib"] / max(1, extraction["peak_rss_mib"]), 2),
        "chain_ms_per_record": round(1000 * chain["seconds"] / max(1, records), 3),
        "peak_asset": {"asset": worst[0], **worst[1]},
        "assets": chain["assets"],
        "targets": targets,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _records_read(run: dict) -> int:
    return sum(a.get("records_read", 0) for name, a in run["assets"].items() if name.startswith("crm_"))


def run_scenario(scale: str, seeded: bool, incremental: bool, sizes: AppSizes, suffix: str = "",
                 settle: bool = False, key: str | None = None) -> dict[str, dict]:
    """The scenario's results by chain.json key (`key`, or the scenario's own; `suffix` appended to
    each key: a run kept apart). `settle`: the chain runs once more, unchanged, before the 1% is
    edited (its seconds kept as `settle_seconds`), so the step measured is a tenant's steady run
    rather than its second."""
    key = key or (f"{scale}_seeded" if seeded else scale)
    results: dict[str, dict] = {}
    with simulator_process(scale=scale) as base_url, RssSampler() as sampler, \
            _lane(base_url) as extraction_lane, _lane(base_url) as chain_lane:
        baseline = rss_mib()
        app = _in_child(_seed_app, chain_lane.url, scale, sizes) if seeded else None
        extraction = _run(extraction_lane, EXTRACTION, sampler)
        chain = _run(chain_lane, None, sampler)
        records = _records_read(chain)
        results[key + suffix] = {**_summary(scale, records, baseline, extraction, chain, TARGETS),
                                 "app": app or "empty"}
        if incremental:
            settled = _run(chain_lane, None, sampler) if settle else None
            changed = _in_child(change_one_percent, base_url, scale)
            extraction = _run(extraction_lane, EXTRACTION, sampler)
            chain = _run(chain_lane, None, sampler)
            results[f"{key}_incremental{suffix}"] = {
                **_summary(scale, records, baseline, extraction, chain, INCREMENTAL_TARGETS),
                "app": app or "empty", "records_edited": changed, "records_read": _records_read(chain),
                "note": "high_water_mib is the whole scenario's, the first run's included",
                **({"settle_seconds": settled["seconds"], "settle_assets": {
                    name: a["seconds"] for name, a in settled["assets"].items()}} if settled else {})}
    return results


def store(results: dict[str, dict]) -> None:
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored.update(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")


def issue_set(scale: str, curve: str | None, extra: list[str]) -> dict:
    """The scenarios issue 17 asks, each in its own process, and their ratios in one entry."""
    runs = [["--scale", scale, "--app", "empty", "--incremental"], ["--scale", scale, "--app", "seeded"]]
    if curve:
        runs.append(["--scale", curve, "--app", "empty"])
    started = time.monotonic()
    for args in runs:
        print(f"== bench_chain {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, "-m", "bench.bench_chain", *args, *extra], check=True,
                       cwd=Path(__file__).resolve().parent.parent)
    stored = json.loads(RESULTS.read_text())
    first, seeded, incremental = stored[scale], stored[f"{scale}_seeded"], stored[f"{scale}_incremental"]
    summary = {
        "a_first_run_chain_over_extraction": first["chain_over_extraction"],
        "b_seeded_chain_over_extraction": seeded["chain_over_extraction"],
        "c_incremental_chain_over_extraction": incremental["chain_over_extraction"],
        "peak_rss_mib": {"first": first["chain"]["peak_rss_mib"], "seeded": seeded["chain"]["peak_rss_mib"],
                         "incremental": incremental["chain"]["peak_rss_mib"]},
        "targets": {"a": TARGETS["chain_over_extraction"], "b": TARGETS["chain_over_extraction"],
                    "c": INCREMENTAL_TARGETS["chain_over_extraction"]},
        "seconds": round(time.monotonic() - started),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if curve:
        bigger = stored[curve]
        summary["d_curve"] = {
            "scales": [scale, curve], "records": [first["records"], bigger["records"]],
            "chain_ms_per_record": [first["chain_ms_per_record"], bigger["chain_ms_per_record"]],
            "peak_rss_mib": [first["chain"]["peak_rss_mib"], bigger["chain"]["peak_rss_mib"]],
            "ms_per_record_ratio": round(bigger["chain_ms_per_record"] / first["chain_ms_per_record"], 2),
            "peak_ratio": round(bigger["chain"]["peak_rss_mib"] / first["chain"]["peak_rss_mib"], 2)}
    store({f"issue17_{scale}": summary})
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_chain")
    parser.add_argument("--scale", default="large", choices=list(SCALES))
    parser.add_argument("--app", choices=["empty", "seeded"], help="one scenario; without it (nor --incremental), the issue's set")
    parser.add_argument("--incremental", action="store_true", help="then 1%% edited and every asset again")
    parser.add_argument("--app-users", type=int, help="seeded app users (default: 2,000 at large, in proportion elsewhere)")
    parser.add_argument("--app-prospects", type=int, help="seeded app prospects (default: 200,000 at large, ...)")
    parser.add_argument("--key", help="one scenario: the chain.json key to store it under (default: its own)")
    parser.add_argument("--curve", help="the issue's set: the larger scale also run (default xlarge after large; none)")
    parser.add_argument("--key-suffix", default="", help="appended to each chain.json key (one scenario only): "
                        "e.g. _before_x keeps a run apart from the entries the issue's set reads")
    parser.add_argument("--settle", action="store_true", help="with --incremental: the chain once more, "
                        "unchanged, before the 1%% edit (the measured run is then a steady one, not the second)")
    args = parser.parse_args(argv)
    sizes_args = [*(["--app-users", str(args.app_users)] if args.app_users else []),
                  *(["--app-prospects", str(args.app_prospects)] if args.app_prospects else [])]
    if args.app is None and not args.incremental:
        curve = NEXT_SCALE.get(args.scale) if args.curve is None else (None if args.curve == "none" else args.curve)
        print(json.dumps(issue_set(args.scale, curve, sizes_args), indent=2))
        return 0
    os.environ["BENCH_ACME_ID"] = "acme"
    os.environ["BENCH_ACME_SECRET"] = "acme-secret"
    sizes = app_sizes(args.scale, args.app_users, args.app_prospects)
    results = run_scenario(args.scale, args.app == "seeded", args.incremental, sizes, args.key_suffix, args.settle,
                           args.key)
    store(results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
