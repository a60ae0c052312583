"""Imported first by the scripts that run this project's code (project_sync.py, dagster_floor.py):
the checkout they are in goes ahead of the virtual environment's editable install on the import
path. The benchmark sets the child's PYTHONPATH to this folder alone, so without it a child run
from another worktree imported the package from wherever the editable install points, and measured
that checkout's code instead of this one's."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
