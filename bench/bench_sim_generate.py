"""Benchmark: generating the simulator's `large` org (time and peak memory).

The generation runs in a fresh child process so that its peak resident set size (ru_maxrss) is
its own and not the benchmark runner's. Results go to bench/results/sim_generate.json;
`--scale xlarge` (or any other scale) measures that scale instead, into sim_generate_<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sim_generate.json"

ORG, SCALE, SEED = "acme", "large", 1

# Runs in the child: reports import memory, generation time, peak memory and row counts.
_CHILD = """
import json, resource, time
started = time.perf_counter()
from crm_pipelines.sim.generate import generate_org
imported_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
begin = time.perf_counter()
data = generate_org({org!r}, {scale!r}, seed={seed})
seconds = time.perf_counter() - begin
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{
    "generate_seconds": seconds,
    "process_seconds": time.perf_counter() - started,
    "import_peak_rss_mib": imported_kib / 1024,
    "peak_rss_mib": peak_kib / 1024,
    "rows": {{name: len(table) for name, table in data.tables.items()}},
    "table_mib": {{name: table.memory_usage(deep=True).sum() / 2**20
                   for name, table in data.tables.items()}},
}}))
"""


def results_path(scale: str) -> Path:
    return RESULTS if scale == SCALE else RESULTS.with_name(f"sim_generate_{scale}.json")


def run(scale: str = SCALE) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                     os.environ.get("PYTHONPATH")]))}
    child = _CHILD.format(org=ORG, scale=scale, seed=SEED)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"generating {scale} for org {ORG} failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    rows = figures["rows"]
    return {
        "benchmark": "sim_generate",
        "org": ORG,
        "scale": scale,
        "seed": SEED,
        "generate_seconds": round(figures["generate_seconds"], 3),
        "process_seconds": round(figures["process_seconds"], 3),
        "peak_rss_mib": round(figures["peak_rss_mib"], 1),
        "import_peak_rss_mib": round(figures["import_peak_rss_mib"], 1),
        "tables_mib": round(sum(figures["table_mib"].values()), 1),
        "rows": rows,
        "contacts_plus_leads": rows["Contact"] + rows["Lead"],
        "total_rows": sum(rows.values()),
        "rows_per_second": round(sum(rows.values()) / figures["generate_seconds"]),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_sim_generate")
    parser.add_argument("--scale", default=SCALE)
    scale = parser.parse_known_args(argv)[0].scale
    result = run(scale)
    path = results_path(scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"sim generate {scale}: {result['generate_seconds']} s, peak RSS "
          f"{result['peak_rss_mib']} MiB (imports alone {result['import_peak_rss_mib']} MiB), "
          f"{result['total_rows']:,} rows ({result['contacts_plus_leads']:,} contacts + leads), "
          f"{result['rows_per_second']:,} rows/s; written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
