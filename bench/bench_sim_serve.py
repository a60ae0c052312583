"""Benchmark: the simulator serving a paged Contact query of the `large` org.

The simulator runs in its own process (`sim serve`, as the pipeline meets it) so that the client's
JSON parsing does not share a GIL with the server. The client pages through every Contact with
`requests`, following nextRecordsUrl at the default 2,000 records a page, three times: reading the
bytes only (what the server delivers: the serving rate held against the target), parsing each page
with orjson, and parsing with `response.json()` (the standard library's decoder, which is what a
plain requests client pays). Target: serving is never the bottleneck, >= 100,000 records a second.
Wall-clock rates depend on what else the machine runs, so the server's own CPU time per pass is
reported too (records per second of server CPU), with the load average at the end.
Results go to bench/results/sim_serve.json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sim_serve.json"
ORG, SCALE, SEED = "acme", "large", 1
TARGET_RECORDS_PER_SECOND = 100_000
# The fields an extraction of Contact asks for: every field of the object.
SOQL = ("SELECT Id, IsDeleted, AccountId, FirstName, LastName, Name, Email, Title, Phone, MailingCity, "
        "MailingCountry, OwnerId, LeadSource, HasOptedOutOfEmail, MasterRecordId, App_External_Id__c, "
        "Lead_Score__c, Persona__c, Region__c, CreatedDate, LastModifiedDate, SystemModstamp FROM Contact")


@contextmanager
def _server() -> Iterator[tuple[str, float, int]]:
    """The simulator in a child process: (base URL, seconds it took to build the org, pid)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", "0",
         "--orgs", ORG, "--scale", SCALE, "--seed", str(SEED), "--api-limit", "10000000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
    try:
        assert process.stdout is not None
        base_url, build_seconds = "", 0.0
        for line in process.stdout:
            built = re.search(r"built \d+ org\(s\) at scale \w+ in ([\d.]+) s", line)
            if built:
                build_seconds = float(built.group(1))
            listening = re.search(r"listening on (\S+)", line)
            if listening:
                base_url = listening.group(1)
            if base_url and build_seconds:
                break
        else:
            raise RuntimeError(f"the simulator exited before it listened: code {process.wait()}")
        yield base_url, build_seconds, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (immune to other load on the machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _page_through(session: requests.Session, base_url: str, pid: int, *, parse: str) -> dict[str, float]:
    server_cpu_before = _cpu_seconds(pid)
    started = time.perf_counter()
    first_page_seconds = 0.0
    calls = records = 0
    url, params = f"{base_url}/services/data/v60.0/query", {"q": SOQL}
    while url:
        reply = session.get(url, params=params)
        reply.raise_for_status()
        calls += 1
        if calls == 1:
            first_page_seconds = time.perf_counter() - started
        if parse:
            body = orjson.loads(reply.content) if parse == "orjson" else reply.json()
            records += len(body["records"])
            next_url = body.get("nextRecordsUrl")
        else:
            content = reply.content
            records += content.count(b'"attributes":')
            found = re.search(rb'"nextRecordsUrl":"([^"]+)"', content[:200])
            next_url = found.group(1).decode() if found else None
        url, params = (f"{base_url}{next_url}" if next_url else ""), None
    seconds = time.perf_counter() - started
    server_cpu = _cpu_seconds(pid) - server_cpu_before
    return {"seconds": round(seconds, 3), "calls": calls, "records": records,
            "records_per_second": round(records / seconds),
            "server_cpu_seconds": round(server_cpu, 2),
            "records_per_server_cpu_second": round(records / server_cpu) if server_cpu else None,
            "first_page_seconds": round(first_page_seconds, 3)}


def run() -> dict[str, object]:
    with _server() as (base_url, build_seconds, pid):
        session = requests.Session()
        session.trust_env = False
        token = session.post(f"{base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": ORG, "client_secret": f"{ORG}-secret"}).json()
        session.headers["Authorization"] = f"Bearer {token['access_token']}"
        count = session.get(f"{base_url}/services/data/v60.0/query",
                            params={"q": "SELECT COUNT() FROM Contact"}).json()["totalSize"]
        delivered = _page_through(session, base_url, pid, parse="")
        fast_client = _page_through(session, base_url, pid, parse="orjson")
        parsed = _page_through(session, base_url, pid, parse="json")
        peak_mib = _peak_rss_mib(pid)
    read = {delivered["records"], fast_client["records"], parsed["records"]}
    if read != {count}:
        raise AssertionError(f"paging read {sorted(read)} contacts, COUNT() says {count}")
    return {
        "benchmark": "sim_serve",
        "org": ORG, "scale": SCALE, "seed": SEED,
        "query": SOQL,
        "contacts": count,
        "page_size": 2000,
        "server_build_seconds": build_seconds,
        "server_peak_rss_mib": round(peak_mib, 1),
        "bytes_only": delivered,
        "parsed_with_orjson": fast_client,
        "parsed_with_requests_json": parsed,
        "records_per_second": delivered["records_per_second"],
        "records_per_server_cpu_second": delivered["records_per_server_cpu_second"],
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_records_per_second": TARGET_RECORDS_PER_SECOND,
        "meets_target": delivered["records_per_second"] >= TARGET_RECORDS_PER_SECOND,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }


def main() -> None:
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    delivered, parsed = result["bytes_only"], result["parsed_with_requests_json"]
    fast_client = result["parsed_with_orjson"]
    print(f"sim serve {SCALE}: {result['contacts']:,} contacts in {parsed['calls']} calls; "
          f"{delivered['records_per_second']:,} records/s served (target {TARGET_RECORDS_PER_SECOND:,}; "
          f"{delivered['records_per_server_cpu_second']:,} per second of server CPU; load average "
          f"{result['load_average_1min']}), "
          f"{fast_client['records_per_second']:,} with orjson parsing, {parsed['records_per_second']:,} with "
          f"response.json(); server built the org "
          f"in {result['server_build_seconds']} s, peak RSS {result['server_peak_rss_mib']} MiB; "
          f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
