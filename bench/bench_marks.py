"""The changed-ranges marks at a large and an extra-large org's size (issue 17): what a run of
synced_prospects or outbound_field_changes spends building what it saw, storing it, reading the
last run's back and comparing the two, without the rest of the chain.

Sizes as the `large` and `xlarge` orgs give them (Leads and Contacts; a prospect for nearly every
one), 1% of the records changed between the runs. Figures per step: seconds and the peak of
resident memory above the process's baseline (bench.rss samples it), and the stored size.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bench.results_file import machine, write_results
from bench.rss import RssSampler, rss_mib
from crm_pipelines.core.field_sync.changed_ranges import Dirty, Seen, changed_records, texts

RESULTS = Path(__file__).resolve().parent / "results" / "marks.json"
SIZES = {"large": (1_050_000, 1_000_000), "xlarge": (2_940_000, 2_730_000)}


def _measure(baseline: float, step: Callable[[], object]) -> tuple[object, dict]:
    with RssSampler(0.005) as sampler:
        started = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - started
    return result, {"seconds": round(seconds, 2), "peak_above_baseline_mib": round(max(sampler.mib) - baseline)}


def _one_size(records: int, prospects: int) -> dict:
    rng = np.random.default_rng(17)
    crm_ids = pd.Series([f"00Q{i:015d}" for i in range(records)], dtype="string")
    prospect_ids = "crm-" + crm_ids.iloc[:prospects]
    held = np.arange(prospects)
    record_hashes = rng.integers(0, 2**63, records).astype(np.uint64)
    prospect_hashes = rng.integers(0, 2**63, prospects).astype(np.uint64)
    edited = record_hashes.copy()
    edited[::100] += np.uint64(1)

    def seen(hashes: np.ndarray) -> Seen:
        return Seen(texts(crm_ids), hashes, texts(prospect_ids), prospect_hashes, held)

    gc.collect()
    baseline = rss_mib()
    steps = {}
    last, steps["build"] = _measure(baseline, lambda: seen(record_hashes))
    stored, steps["store"] = _measure(baseline, last.to_bytes)
    del last
    now = seen(edited)
    before, steps["read_back"] = _measure(baseline, lambda: Seen.from_bytes(stored))
    changed, steps["compare"] = _measure(baseline, lambda: changed_records(now, before, Dirty(), texts(crm_ids.iloc[:prospects])))
    assert int(changed.sum()) == len(edited[::100]), "every edited record, and only those, compared again"
    return {"records": records, "prospects": prospects, "stored_mib": round(len(stored) / 2**20, 1),
            "records_compared": int(changed.sum()), "baseline_rss_mib": round(baseline), "steps": steps,
            "peak_above_baseline_mib": max(s["peak_above_baseline_mib"] for s in steps.values())}


def main(argv: list[str]) -> int:
    if argv:  # one size, in a process of its own: its baseline is not an earlier size's leftovers
        print(json.dumps(_one_size(*SIZES[argv[0]])))
        return 0
    result = {}
    for name in SIZES:
        out = subprocess.run([sys.executable, "-m", "bench.bench_marks", name], check=True, capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent.parent)
        result[name] = json.loads(out.stdout.splitlines()[-1])
    result["machine"] = machine()
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
