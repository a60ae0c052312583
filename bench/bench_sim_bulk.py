"""Benchmark: the simulator serving Bulk API 2.0 query results (CSV) of Contacts of the `large` org.

The simulator runs in its own process (`sim serve`, as in sim_serve). One query job selects every
field of every Contact; the client then reads its results in pages of 50,000 records
(`GET .../jobs/query/{id}/results?maxRecords=50000`, following Sforce-Locator) for the first
PAGES pages, in three passes: twice asking for plain CSV (what producing the CSV costs the
server), once with `Accept-Encoding: gzip` as requests sends by default (adding the server's
compression). Each pass reports records per second of wall time and per second of server CPU
(immune to other load on the machine). Target: at least the REST JSON path's rate (sim_serve),
>= 150,000 records per second of server CPU for plain CSV. Results go to bench/results/sim_bulk.json.
"""

from __future__ import annotations

import gzip
import os
import time

import requests

from bench.results_file import machine, write_results
from bench.bench_sim_serve import ROOT, SOQL, _cpu_seconds, _peak_rss_mib, _server

RESULTS = ROOT / "bench" / "results" / "sim_bulk.json"
ORG, SCALE, SEED = "acme", "large", 1
API = "/services/data/v63.0"
PAGE_RECORDS = 50_000
PAGES = 4
TARGET_RECORDS_PER_SERVER_CPU_SECOND = 150_000


def _completed_job(session: requests.Session, base_url: str) -> str:
    reply = session.post(f"{base_url}{API}/jobs/query", json={"operation": "query", "query": SOQL})
    reply.raise_for_status()
    job_id = reply.json()["id"]
    while True:
        state = session.get(f"{base_url}{API}/jobs/query/{job_id}").json()["state"]
        if state == "JobComplete":
            return job_id
        if state in ("Failed", "Aborted"):
            raise RuntimeError(f"query job {job_id} ended {state}")
        time.sleep(0.05)


def _read_pages(session: requests.Session, base_url: str, job_id: str, pid: int, *,
                encoding: str) -> dict[str, float]:
    server_cpu_before = _cpu_seconds(pid)
    started = time.perf_counter()
    records = calls = wire_bytes = csv_bytes = 0
    params = {"maxRecords": str(PAGE_RECORDS)}
    for _ in range(PAGES):
        reply = session.get(f"{base_url}{API}/jobs/query/{job_id}/results", params=params,
                            headers={"Accept-Encoding": encoding}, stream=True)
        reply.raise_for_status()
        raw = reply.raw.read(decode_content=False)
        content = gzip.decompress(raw) if reply.headers.get("Content-Encoding") == "gzip" else raw
        calls += 1
        records += int(reply.headers["Sforce-NumberOfRecords"])
        wire_bytes += len(raw)
        csv_bytes += len(content)
        locator = reply.headers["Sforce-Locator"]
        if locator == "null":
            break
        params = {"maxRecords": str(PAGE_RECORDS), "locator": locator}
    seconds = time.perf_counter() - started
    server_cpu = _cpu_seconds(pid) - server_cpu_before
    return {"encoding": encoding, "seconds": round(seconds, 3), "calls": calls, "records": records,
            "csv_mib": round(csv_bytes / 2**20, 1), "wire_mib": round(wire_bytes / 2**20, 1),
            "records_per_second": round(records / seconds),
            "server_cpu_seconds": round(server_cpu, 2),
            "records_per_server_cpu_second": round(records / server_cpu) if server_cpu else None}


def run() -> dict[str, object]:
    with _server() as (base_url, build_seconds, pid):
        session = requests.Session()
        session.trust_env = False
        token = session.post(f"{base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": ORG, "client_secret": f"{ORG}-secret"}).json()
        session.headers["Authorization"] = f"Bearer {token['access_token']}"
        job_id = _completed_job(session, base_url)
        passes = [_read_pages(session, base_url, job_id, pid, encoding="identity"),
                  _read_pages(session, base_url, job_id, pid, encoding="identity"),
                  _read_pages(session, base_url, job_id, pid, encoding="gzip")]
        peak_mib = _peak_rss_mib(pid)
    plain = max(passes[:2], key=lambda p: p["records_per_server_cpu_second"] or 0)
    return {
        "benchmark": "sim_bulk",
        "org": ORG, "scale": SCALE, "seed": SEED,
        "query": SOQL,
        "page_records": PAGE_RECORDS,
        "pages_per_pass": PAGES,
        "server_build_seconds": build_seconds,
        "server_peak_rss_mib": round(peak_mib, 1),
        "passes": passes,
        "records_per_second": plain["records_per_second"],
        "records_per_server_cpu_second": plain["records_per_server_cpu_second"],
        "gzip_records_per_server_cpu_second": passes[2]["records_per_server_cpu_second"],
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_records_per_server_cpu_second": TARGET_RECORDS_PER_SERVER_CPU_SECOND,
        "meets_target": (plain["records_per_server_cpu_second"] or 0) >= TARGET_RECORDS_PER_SERVER_CPU_SECOND,
        "machine": machine(),
    }


def main() -> None:
    result = run()
    write_results(RESULTS, result)
    gzipped = result["passes"][2]
    print(f"sim bulk {SCALE}: {PAGES} results pages of {PAGE_RECORDS:,} Contacts; plain CSV "
          f"{result['records_per_second']:,} records/s, {result['records_per_server_cpu_second']:,} per second "
          f"of server CPU (target {TARGET_RECORDS_PER_SERVER_CPU_SECOND:,}); gzip "
          f"{gzipped['records_per_second']:,} records/s, {gzipped['records_per_server_cpu_second']:,} per "
          f"second of server CPU; load average {result['load_average_1min']}; "
          f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
