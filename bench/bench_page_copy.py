"""What a first full sync's writer pays PostgreSQL per page, and what would change it.

The writer thread is the full sync's critical path: each slice of 10,000 records is one
transaction that COPYs the rows straight into the object's table (its primary key (tenant, Id),
for Leads and Contacts a SystemModstamp index, a JSONB column of mapped fields). This writes the
same 40,000 Contacts (a `small` org's, read through Bulk and converted as the sync does, given
fresh Ids) in slices of 10,000, each variant into a tenant of its own, several times in turn:

- `as_is`: `upsert_frame(likely_new=True)`, as the sync does;
- `staging_then_insert`: COPY into an unindexed temporary table, then INSERT ... ON CONFLICT (the
  path of a page whose rows may exist already);
- `synchronous_commit_off`: as is, each transaction committed without waiting for its WAL flush;
- `no_mapped_fields`: as is, the JSONB column left null;
- `no_modstamp_index`: as is, after the SystemModstamp index is dropped (last: it stays dropped).

`python -m bench.bench_page_copy [--rounds 3]` → bench/results/page_copy.json (seconds per variant,
each round, and the median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from bench.bench_bulk_threshold import _port
from bench.pg import scratch_postgres
from bench.results_file import machine, write_results
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.extraction import convert_page
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.bulk import upsert_frame
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.tables import crm_tables

RESULTS = Path(__file__).resolve().parent / "results" / "page_copy.json"
CONTACT = BY_NAME["Contact"]
ROWS = 40_000
SLICE = 10_000
EXTRA = ["App_External_Id__c"]


def contacts() -> pd.DataFrame:
    """A small org's Contacts as the sync converts them, repeated to ROWS with Ids of their own."""
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        crm = _port(sim.base_url, 10)
        crm._sleep = lambda seconds: None
        frames = [convert_page(page.records, CONTACT, EXTRA).rows for page in crm.read_changed(CONTACT, EXTRA, None)]
    rows = pd.concat(frames).drop_duplicates("id")
    rows = pd.concat([rows] * (ROWS // len(rows) + 1)).head(ROWS).reset_index(drop=True)
    rows["id"] = [f"003B{i:014d}" for i in range(ROWS)]
    return rows


def write(db: Database, rows: pd.DataFrame, tenant: str, *, likely_new: bool = True, setting: str | None = None) -> float:
    table = crm_tables[CONTACT.name]
    began = time.perf_counter()
    for start in range(0, len(rows), SLICE):
        with db.transaction() as conn:
            if setting:
                conn.execute(text(setting))
            page = rows.iloc[start:start + SLICE].assign(tenant_id=tenant, extracted_at=pd.Timestamp.now(tz="UTC"))
            upsert_frame(conn, table, page, ["tenant_id", "id"], likely_new=likely_new)
    return round(time.perf_counter() - began, 3)


def variants(rows: pd.DataFrame) -> dict[str, Callable[[Database, str], float]]:
    return {
        "as_is": lambda db, tenant: write(db, rows, tenant),
        "staging_then_insert": lambda db, tenant: write(db, rows, tenant, likely_new=False),
        "synchronous_commit_off": lambda db, tenant: write(db, rows, tenant, setting="SET LOCAL synchronous_commit = off"),
        "no_mapped_fields": lambda db, tenant: write(db, rows.assign(mapped_fields=None), tenant),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = contacts()
    load = [round(x, 2) for x in os.getloadavg()]
    seconds: dict[str, list[float]] = {}
    with scratch_postgres("crm_bench_page_copy") as url:
        db = open_database(url)
        for round_ in range(args.rounds):
            for name, run in variants(rows).items():
                seconds.setdefault(name, []).append(run(db, f"{name}-{round_}"))
        with db.transaction() as conn:
            conn.execute(text(f'DROP INDEX "ix_{crm_tables[CONTACT.name].name}_tenant_id_system_modstamp"'))
        seconds["no_modstamp_index"] = [write(db, rows, f"no-index-{round_}") for round_ in range(args.rounds)]
    result = {"machine": {**machine(), "load_average_at_start": load}, "rows": ROWS, "slice_rows": SLICE,
              "seconds": seconds, "median_seconds": {name: statistics.median(s) for name, s in seconds.items()}}
    return write_results(RESULTS, result)


if __name__ == "__main__":
    sys.exit(main())
