"""`crm-pipelines log`: the connector log (F8), every change the connector applied, oldest first."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crm_pipelines.cli.options import add_json, add_tenant, positive_int
from crm_pipelines.cli.output import Column, echo, json_rows, not_found, print_json, print_table, refuse
from crm_pipelines.cli.tenants import open_tenant
from crm_pipelines.paths import data_dir

COLUMNS = (
    Column("at", "applied at (UTC)", format="%Y-%m-%d %H:%M:%S"), Column("direction", "direction"),
    Column("object", "object"), Column("app_id", "app id"), Column("crm_id", "crm id"), Column("field", "field"),
    Column("reason", "reason"), Column("change", "old -> new", flexible=True),
)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        refuse(f"--since '{text}' is not a time; use ISO 8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z")
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def split_record(record: str | None) -> tuple[str | None, str | None]:
    """`event:ev-0020` (the app's external id of a pushed record, as `push status` shows it) is the
    app object and its id; anything else is an app id or a CRM id."""
    if record is not None and ":" in record:
        app_object, app_id = record.split(":", 1)
        return app_object, app_id
    return None, record


def clock_offsets(run_ids: set[str]) -> dict[str, float]:
    """How far each run's pipeline clock was moved (the demo moves it a day at a time to reopen the
    API budget's window); runs with no such tag ran on the real clock and are left out."""
    # crm_pipelines.instance's dagster_home() would create an instance where there is none; a read
    # of the log looks only where one already is.
    home = Path(os.environ.get("DAGSTER_HOME") or data_dir() / "dagster")
    if not run_ids or not (home / "dagster.yaml").exists():
        return {}
    from dagster import DagsterInstance, RunsFilter

    from crm_pipelines.clock import CLOCK_OFFSET_TAG

    instance = DagsterInstance.from_config(str(home))
    try:
        records = instance.get_run_records(RunsFilter(run_ids=sorted(run_ids)))
        return {r.dagster_run.run_id: float(r.dagster_run.tags[CLOCK_OFFSET_TAG])
                for r in records if CLOCK_OFFSET_TAG in r.dagster_run.tags}
    finally:
        instance.dispose()


def read_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    from crm_pipelines.store.connector_log import read_log

    db, tenant = open_tenant(args.tenant_id)
    app_object, record = split_record(args.record)
    since = _since(args.since)
    # A moved clock only ever runs ahead, so the stored times at or after `since` include every
    # change applied at or after it in real time; the exact cut is made below.
    frame = read_log(db, tenant.id, record=record, app_object=app_object, since=since, limit=args.limit)
    rows = frame.astype({"at": "object"}).to_dict("records")
    offsets = clock_offsets({r["run_id"] for r in rows if isinstance(r.get("run_id"), str)})
    for row in rows:
        row["pipeline_at"] = row["at"]
        row["at"] = row["at"] - timedelta(seconds=offsets.get(row.get("run_id") or "", 0.0))
        row["change"] = f"{_text(row['old_value'])} -> {_text(row['new_value'])}"
    rows = [r for r in rows if since is None or r["at"] >= since]
    return sorted(rows, key=lambda r: r["at"])


def _text(value: Any) -> str:
    import pandas as pd

    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def show_log(args: argparse.Namespace) -> None:
    rows = read_rows(args)
    if args.json:
        print_json(json_rows({k: v for k, v in r.items() if k not in ("change", "tenant_id")} for r in rows))
    elif rows:
        print_table(rows, COLUMNS)
    elif not args.record:
        echo("no changes logged")
    if not rows and args.record:
        not_found(f"no changes logged for {args.record} in tenant {args.tenant_id}")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = commands.add_parser("log", parents=[parent],
                            help="The connector log (F8): every change the connector applied, oldest first.")
    add_tenant(p)
    p.add_argument("--record", default=None,
                   help="Only changes to this record: an app id, a CRM id, or an app external id such as event:ev-0020.")
    p.add_argument("--since", default=None, help="Only changes applied at or after this time (ISO 8601; UTC unless it says).")
    p.add_argument("--limit", type=positive_int, default=None, help="Only the latest N changes.")
    add_json(p)
    p.set_defaults(run=show_log)
