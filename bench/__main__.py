"""`python -m bench [name ...] [--option ...]`: run every benchmark (or the named ones), each in its
own process so its peak memory is its own, then print the results files. Options after the names
go to the named benchmarks (`python -m bench peers --scale medium`).

`bench_chain` without options runs issue 17's set in one go (each scenario in its own process):
`large` with its 1% incremental step, `large` with the app seeded at size, and `xlarge`; it is
most of the run's time, estimated at about three hours on the 2-core machine of bench/results
(`python -m bench chain --scale medium` runs the same set at medium without the curve: 23 min)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if names:
        scripts = [s for s in scripts if any(name in s.stem for name in names)]
    failed = []
    begun = time.monotonic()
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{script.stem}", *options], cwd=HERE.parent)
        print(f"   {script.stem}: exit {code} in {time.monotonic() - started:.1f} s", flush=True)
        if code != 0:
            failed.append(script.stem)
    print(f"\n== {len(scripts)} benchmarks in {(time.monotonic() - begun) / 60:.1f} min")
    print("\n== results")
    for path in sorted(RESULTS.glob("*.json")):
        print(f"{path.name}: {json.dumps(json.loads(path.read_text()), sort_keys=True)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
