"""Where every benchmark leaves its figures: one JSON file under bench/results/, also printed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def machine() -> dict:
    """The machine a figure was measured on, and how busy it was."""
    return {"python": sys.version.split()[0], "cpus": os.cpu_count()}


def write_results(path: Path, result: dict) -> int:
    """Write `result` to `path` and print it; the benchmark's exit code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0
