"""Where Bulk API 2.0 starts to pay (issue 18): the default of `sync.bulk_above_records`.

One read of the `large` org's Contacts through the CRM port for each of several sizes (a window of
the newest n records by SystemModstamp, as an incremental read of n changes sees it), once through
REST alone and once with Bulk taking over after the first REST page; the records are converted
into warehouse rows (what the extraction does with them), nothing is stored. Per size and way:
seconds, API calls (login excluded), records. The simulator runs in its own process.

`python -m bench.bench_bulk_threshold [--scale large]`; results in bench/results/bulk_threshold.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.results_file import write_results
from bench.simproc import served_simulator
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.extraction import convert_page
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.crm.salesforce.adapter import SalesforceCrm
from crm_pipelines.settings import Tenant, validated

RESULTS = Path(__file__).resolve().parent / "results" / "bulk_threshold.json"
SIZES = (2_000, 5_000, 10_000, 20_000, 50_000, 200_000)
CONTACT = BY_NAME["Contact"]


def _port(base_url: str, bulk_above: int | None) -> SalesforceCrm:
    os.environ["BENCH_ACME_ID"], os.environ["BENCH_ACME_SECRET"] = "acme", "acme-secret"
    tenant = validated(Tenant, {"id": "acme", "name": "Acme", "status": "connected", "connected_at": datetime.now(UTC),
                                "connection": {"login_url": base_url, "credentials": {
        "grant": "client_credentials", "client_id_env": "BENCH_ACME_ID", "client_secret_env": "BENCH_ACME_SECRET"}}})
    crm = CrmClientResource().crm_for(tenant, lambda: None)
    assert isinstance(crm, SalesforceCrm)
    crm.bulk_above_records = bulk_above
    return crm


def _read(base_url: str, since: datetime | None, bulk_above: int | None) -> dict:
    crm = _port(base_url, bulk_above)
    crm.read_org_usage()  # logs in; not part of the read
    calls_before = crm.calls_sent
    started = time.perf_counter()
    records = 0
    ways = set()
    for page in crm.read_changed(CONTACT, [], since):
        records += len(convert_page(page.records, CONTACT).rows)
        ways.add("REST" if page.ordered else "bulk")
    return {"seconds": round(time.perf_counter() - started, 3), "api_calls": crm.calls_sent - calls_before,
            "records": records, "read_with": "+".join(sorted(ways))}


def _since_for(base_url: str, newest: int) -> datetime:
    """The SystemModstamp from which the newest `newest` Contacts are read."""
    crm = _port(base_url, None)
    stamps = sorted(r["SystemModstamp"] for page in crm.read_changed(CONTACT, [], None) for r in page.records)
    return datetime.fromisoformat(stamps[-newest].replace("+0000", "+00:00"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bulk_threshold")
    parser.add_argument("--scale", default="large", choices=("small", "medium", "large", "xlarge"))
    args = parser.parse_args(argv)
    rows = []
    with served_simulator(scale=args.scale) as served:
        for size in SIZES:
            try:
                since = _since_for(served.base_url, size)
            except IndexError:
                continue  # the org has fewer Contacts than that
            rest = _read(served.base_url, since, None)
            bulk = _read(served.base_url, since, 0)
            rows.append({"newest_records": size, "rest": rest, "bulk_after_first_page": bulk,
                         "bulk_over_rest_seconds": round(bulk["seconds"] / rest["seconds"], 2)})
            print(f"{size:>8,} records: REST {rest['seconds']:.2f} s / {rest['api_calls']} calls; "
                  f"bulk {bulk['seconds']:.2f} s / {bulk['api_calls']} calls", flush=True)
    return write_results(RESULTS, {"scale": args.scale, "object": "Contact", "sizes": rows})


if __name__ == "__main__":
    sys.exit(main())
