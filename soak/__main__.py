"""`python -m soak [--cycles N] [--seed S] [--database-url URL]` (`make soak`): exit 0 when every
invariant holds."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from soak.cycles import run_soak


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crm-soak-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'soak.db'}"
        report = run_soak(url, cycles=args.cycles, seed=args.seed, scale=args.scale)
    print("soak: every invariant holds" if report.ok else "soak: INVARIANTS BROKEN", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
