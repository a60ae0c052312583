"""The Dagster instance the CLI and the demo use.

With DAGSTER_HOME set (production: the root dagster.yaml with PostgreSQL), that instance. Without
it, the embedded default: a SQLite instance under the data folder, no server, with the same run
queue limits as production so `make ui` behaves like the real thing.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from crm_pipelines.paths import data_dir

EMBEDDED_DAGSTER_YAML = """\
# Written by crm_pipelines: the embedded default instance (SQLite storage under this folder).
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
telemetry:
  enabled: false
"""


def embedded_dagster_home() -> Path:
    home = data_dir() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # A file written by an older version of this module is brought up to date (the run queue's
    # limits changed); one the operator wrote is left alone.
    written_by_us = config.exists() and config.read_text().startswith(EMBEDDED_DAGSTER_YAML.splitlines()[0])
    if not config.exists() or (written_by_us and config.read_text() != EMBEDDED_DAGSTER_YAML):
        config.write_text(EMBEDDED_DAGSTER_YAML)
    return home


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else the embedded default's folder (created on first use)."""
    explicit = os.environ.get("DAGSTER_HOME")
    return Path(explicit) if explicit else embedded_dagster_home()


def get_instance() -> DagsterInstance:
    home = dagster_home()
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return DagsterInstance.from_config(str(home))
