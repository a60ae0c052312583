"""Where a full sync's memory goes (issue 18): the extraction assets materialized in process, as
bench_extract runs them, with the process's RSS sampled every 20 ms, each object's peak, Arrow's
live bytes, and at the sync's highest RSS what grew since before it, by kind of mapping
(/proc/self/smaps): Arrow's mimalloc arena (one region of 1 GiB reserved), glibc's thread arenas
(regions aligned to 64 MiB), its main heap, and the rest (jemalloc's extents, large blocks glibc
maps on their own, Python's small-object arenas, thread stacks).

    python -m bench.bench_extract_memory --scale medium --tag after
    python -m bench.bench_extract_memory --scale medium --untuned      # Arrow's default pool
    python -m bench.bench_extract_memory --scale small --trace         # + tracemalloc (slow)

`--trace` also takes a tracemalloc snapshot whenever the traced memory reaches a new high and lists
the lines whose Python objects (and numpy arrays) grew most since before the sync. Results:
results/extract_memory_<scale>[_<tag>].json.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa

from bench.results_file import machine, write_results
from bench.rss import RssSampler, rss_mib

RESULTS = Path(__file__).resolve().parent / "results"
_GIB, _ARENA = 1 << 30, 1 << 26


def smaps() -> dict[int, tuple[int, str, int]]:
    """Every mapping of this process: start → (end, name, resident KiB)."""
    regions: dict[int, tuple[int, str, int]] = {}
    start = end = 0
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if "-" in parts[0] and not parts[0].endswith(":"):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            name = parts[5] if len(parts) > 5 else ""
        elif parts[0] == "Rss:":
            regions[start] = (end, name, int(parts[1]))
    return regions


def _kind(start: int, end: int, name: str) -> str:
    if name:
        return name if name.startswith("[") else "files"
    if end - start >= _GIB:
        return "mimalloc arena (Arrow)"
    if start % _ARENA == 0 and end - start <= _ARENA:
        return "glibc thread arenas"
    return "other anonymous"


def growth_by_kind(before: dict, peak: dict) -> dict[str, float]:
    grown: dict[str, float] = {}
    for start, (end, name, kib) in peak.items():
        kind = _kind(start, end, name)
        grown[kind] = grown.get(kind, 0.0) + (kib - before.get(start, (0, "", 0))[2]) / 1024
    return {k: round(v, 1) for k, v in sorted(grown.items(), key=lambda kv: -kv[1]) if abs(v) >= 0.5}


class PeakWatch:
    """A thread noting Arrow's live bytes, the mappings at the highest RSS and, with `trace`,
    the tracemalloc snapshot at the highest traced memory."""

    def __init__(self, trace: bool) -> None:
        self.trace, self.rss, self.arrow_max, self.traced = trace, 0.0, 0, 0
        self.maps: dict = {}
        self.snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.arrow_max = max(self.arrow_max, pa.total_allocated_bytes())
            if (now := rss_mib()) > self.rss + 1:
                self.rss, self.maps = now, smaps()
            if self.trace and (traced := tracemalloc.get_traced_memory()[0]) > self.traced * 1.03:
                self.traced, self.snapshot = traced, tracemalloc.take_snapshot()
            self._stop.wait(0.3 if self.trace else 0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_extract_memory")
    parser.add_argument("--scale", default="medium", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--tag", default=None)
    parser.add_argument("--trace", action="store_true", help="tracemalloc snapshots at the traced peak (slow)")
    parser.add_argument("--untuned", action="store_true", help="leave Arrow's default pool as it comes")
    args = parser.parse_args(argv)
    if args.untuned:  # before the code location is imported, which tunes them
        import crm_pipelines.memory
        crm_pipelines.memory.tune_allocators = lambda: {}  # type: ignore[assignment]
    if args.trace:
        tracemalloc.start(1)
    load = [round(x, 2) for x in os.getloadavg()]
    figures = {"scale": args.scale, "untuned": args.untuned, "machine": {**machine(), "load_average_at_start": load},
               **_measure(args.scale, args.trace)}
    name = f"extract_memory_{args.scale}" + (f"_{args.tag}" if args.tag else "") + ".json"
    return write_results(RESULTS / name, figures)


def _measure(scale: str, trace: bool) -> dict:
    from dagster import DagsterInstance

    import crm_pipelines.exchange.extraction as extraction
    from bench.bench_extract import _sync
    from bench.pg import scratch_postgres
    from bench.simproc import simulator_process
    from crm_pipelines.definitions import build_definitions
    from crm_pipelines.settings import Tenant, validated
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.tenants import TenantRegistry

    os.environ["BENCH_ACME_ID"], os.environ["BENCH_ACME_SECRET"] = "acme", "acme-secret"
    marks: list[tuple[str, float, float]] = []
    sync_object = extraction.sync_object

    def marked(crm, db, obj, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.time()
        try:
            return sync_object(crm, db, obj, *args, **kwargs)
        finally:
            marks.append((obj.name, started, time.time()))

    extraction.sync_object = marked  # type: ignore[assignment]
    with simulator_process(scale=scale) as base_url, scratch_postgres() as url:
        TenantRegistry(open_database(url)).add(validated(Tenant, {
            "id": "acme", "name": "Acme", "connection": {"login_url": base_url, "credentials": {
                "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}},
        }).with_settings({"api_budget.daily_limit": "1000000"}))
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme"])
        defs = build_definitions(url)
        before_mib, before_maps = rss_mib(), smaps()
        traced_before = tracemalloc.take_snapshot() if trace else None
        cpu = time.process_time()
        with RssSampler() as sampler, PeakWatch(trace) as watch:
            started = time.time()
            seconds, _ = _sync(defs, instance)
            ended = time.time()
    figures = {
        "arrow_default_pool": pa.default_memory_pool().backend_name,
        "rss_before_sync_mib": round(before_mib), "peak_rss_sync_mib": round(sampler.peak_between(started, ended)),
        "high_water_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "seconds": round(seconds, 2), "client_cpu_seconds": round(time.process_time() - cpu, 2),
        "arrow_live_max_mib": round(watch.arrow_max / 2**20, 1),
        "per_object_peak_mib": {name: round(sampler.peak_between(a, b)) for name, a, b in marks},
        "growth_at_peak_by_kind_mib": growth_by_kind(before_maps, watch.maps),
    }
    if watch.snapshot is not None and traced_before is not None:
        figures["python_objects_grown_at_traced_peak"] = [
            str(stat)[-200:] for stat in watch.snapshot.compare_to(traced_before, "lineno")[:12]]
    return figures


if __name__ == "__main__":
    sys.exit(main())
