"""Peers benchmark (issue 18): this project's extraction against the extractors a team would
otherwise use, in one run on one simulator org served over https with the wall clock.

Each tool runs in its own process (Airbyte, Singer and dlt in their own virtual environments under
.data/bench-venvs): a full read of the 8 extracted objects, then, after 1% of the records are
edited through the simulator's control API, its incremental read. Per run: wall seconds, API calls
(the org's own usage counter before and after), the process's peak RSS and CPU seconds (wait4),
and records. A tool that fails to install or run is reported with its error.

    python -m bench peers                  # the large org, as `make bench` runs it
    python -m bench peers --scale medium --only raw_floor,project,dagster_floor
    python -m bench peers --scale small --install   # first creates the peers' virtual environments

Results: results/peers.json for the large org, results/peers_<scale>.json for the others,
results/peers_<scale>_<tag>.json with --tag (a run kept beside the scale's own figures).
Without --install a peer whose virtual environment does not exist yet is reported as skipped. At
the end one table: every tool's full and incremental run, and each figure against the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from bench.bench_extract import change_one_percent
from bench.peer_tools import PEERS, Output, Venv
from bench.pg import scratch_postgres
from bench.simproc import served_simulator
from crm_pipelines.core.crm_objects import CRM_OBJECTS

RESULTS = Path(__file__).resolve().parent / "results" / "peers.json"
ORG = "acme"
API_VERSION = "60.0"
AIRBYTE = Venv("airbyte", "airbyte-source-salesforce==2.10.3", "airbyte-source-salesforce", redirect_login=True)
SINGER = Venv("singer", "tap-salesforce==2.8.1", "tap-salesforce", redirect_login=True)
DLT = Venv("dlt", "dlt[duckdb]==1.31.0", "dlt")


@dataclass
class Tool:
    name: str
    label: str
    venv: Venv | None = None
    version: str | None = None
    error: str | None = None


TOOLS = [
    Tool("project", "this project (extraction assets → PostgreSQL)"),
    Tool("simple_salesforce_pandas", "simple-salesforce + pandas → PostgreSQL COPY"),
    Tool("dlt_rest", "dlt REST client, merge → duckdb", DLT),
    Tool("airbyte_bulk", "Airbyte source-salesforce, BULK (its default)", AIRBYTE),
    Tool("airbyte_rest", "Airbyte source-salesforce, REST", AIRBYTE),
    Tool("singer_bulk", "Singer tap-salesforce, BULK", SINGER),
    Tool("singer_rest", "Singer tap-salesforce, REST", SINGER),
    Tool("raw_floor", "raw floor: requests + orjson over every page, nothing stored"),
    Tool("dagster_floor", "Dagster's floor: the code location loaded, 8 empty steps, no read"),
]


def measured(command: list[str], env: dict[str, str], timeout: float, output: Output) -> dict:
    """Run one extraction in its own process: seconds, its peak RSS and CPU (see peers/measure.py)."""
    usage_file = Path(tempfile.mkstemp(prefix="bench-peers-usage-")[1])
    started = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/python3", "-S", str(PEERS / "measure.py"), str(usage_file), *command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PEERS, start_new_session=True)
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr))  # type: ignore[arg-type]
    reader.start()
    for line in proc.stdout:  # type: ignore[union-attr]
        output.read(line)
    code = proc.wait()
    seconds = time.perf_counter() - started
    timer.cancel()
    reader.join()
    usage = json.loads(usage_file.read_text() or "{}") if usage_file.exists() else {}
    usage_file.unlink(missing_ok=True)
    run = {"seconds": round(seconds, 2), "cpu_seconds": round(usage.get("cpu_seconds", 0.0), 2),
           "peak_rss_mib": round(usage.get("peak_rss_kib", 0) / 1024), "exit": code}
    if seconds >= timeout:
        run["error"] = f"killed after the {timeout:.0f} s timeout"
    elif code != 0:
        run["error"] = " | ".join(output.last_error_lines[-2:] + [line.strip() for line in errors[-4:]])[:1500]
    return run


class Org:
    """The org's side: its usage counter, its refresh token, its oldest record."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def calls_used(self) -> int:
        return self.session.get(f"{self.base_url}/_sim/orgs/{ORG}/calls").json()["apiUsage"]["used"]

    def calls_by_endpoint(self) -> dict[str, int]:
        return self.session.get(f"{self.base_url}/_sim/orgs/{ORG}/calls").json()["byEndpoint"]

    def refresh_token(self) -> str:
        return next(o["refreshToken"] for o in self.session.get(f"{self.base_url}/_sim/orgs").json() if o["name"] == ORG)

    def oldest_modstamp(self, token: str) -> datetime:
        """Where a connector's start_date must lie for its windows to hold every record."""
        auth = self.session.post(f"{self.base_url}/services/oauth2/token", data={
            "grant_type": "refresh_token", "client_id": ORG, "client_secret": f"{ORG}-secret", "refresh_token": token}).json()
        oldest = datetime.now(timezone.utc)
        for obj in CRM_OBJECTS:
            page = self.session.get(f"{auth['instance_url']}/services/data/v{API_VERSION}/queryAll",
                                    headers={"Authorization": f"Bearer {auth['access_token']}"},
                                    params={"q": f"SELECT SystemModstamp FROM {obj.name} ORDER BY SystemModstamp ASC LIMIT 1"}).json()
            for record in page["records"]:
                oldest = min(oldest, datetime.strptime(record["SystemModstamp"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc))
        return oldest


def connector_files(tool: Tool, work: Path, token: str, start: datetime, env: dict[str, str]) -> dict:
    """Config and catalog of Airbyte's or Singer's connector, the catalog from its own discover."""
    names = [obj.name for obj in CRM_OBJECTS]
    folder = work / tool.name
    folder.mkdir(exist_ok=True)
    config_file = folder / "config.json"
    start_date = (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    common = {"client_id": ORG, "client_secret": f"{ORG}-secret", "refresh_token": token, "is_sandbox": False,
              "start_date": start_date}
    if tool.venv is AIRBYTE:
        config = {**common, "force_use_bulk_api": tool.name.endswith("bulk"), "stream_slice_step": "P30D",
                  "streams_criteria": [{"criteria": "exacts", "value": name} for name in names]}
        program = [AIRBYTE.bin("source-salesforce")]
        discover = program + ["discover", "--config", str(config_file)]
    else:
        config = {**common, "api_type": "BULK" if tool.name.endswith("bulk") else "REST",
                  "select_fields_by_default": True}
        program = [SINGER.bin("tap-salesforce")]
        discover = program + ["--config", str(config_file), "--discover"]
    config_file.write_text(json.dumps(config))
    found = subprocess.run(discover, capture_output=True, text=True, env=env, timeout=600)
    if found.returncode != 0:
        raise RuntimeError(f"discover failed: {(found.stdout + found.stderr)[-1200:]}")
    catalog_file = folder / "catalog.json"
    if tool.venv is AIRBYTE:
        message = next(json.loads(line) for line in found.stdout.splitlines() if '"CATALOG"' in line[:30])
        streams = [s for s in message["catalog"]["streams"] if s["name"] in names]
        catalog_file.write_text(json.dumps({"streams": [
            {"stream": s, "sync_mode": "incremental", "destination_sync_mode": "append_dedup",
             "cursor_field": ["SystemModstamp"], "primary_key": [["Id"]]} for s in streams]}))
        return {"program": program + ["read", "--config", str(config_file), "--catalog", str(catalog_file)],
                "state_flag": "--state", "streams": len(streams)}
    catalog = json.loads(found.stdout)
    selected = [s for s in catalog["streams"] if s["tap_stream_id"] in names]
    for stream in selected:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"].update({"selected": True, "replication-method": "INCREMENTAL",
                                          "replication-key": "SystemModstamp"})
    catalog_file.write_text(json.dumps({"streams": selected}))
    return {"program": program + ["--config", str(config_file), "--properties", str(catalog_file)],
            "state_flag": "--state", "streams": len(selected)}


def command(tool: Tool, mode: str, config_file: Path, connector: dict | None, work: Path) -> list[str]:
    if connector is not None:
        state_file = work / tool.name / "state.json"
        return connector["program"] + ([connector["state_flag"], str(state_file)] if mode == "incremental" else [])
    python = DLT.bin("python") if tool.venv is DLT else sys.executable
    script = {"project": "project_sync.py", "simple_salesforce_pandas": "simple_salesforce_pandas.py",
              "dlt_rest": "dlt_rest.py", "raw_floor": "raw_floor.py", "dagster_floor": "dagster_floor.py"}[tool.name]
    return [python, str(PEERS / script), str(config_file)]


def save_state(tool: Tool, output: Output, work: Path) -> None:
    """The connector's state for its incremental run, as its platform would keep it."""
    if "singer" in output.states:
        state = output.states["singer"]
    else:
        state = list(output.states.values())
    (work / tool.name / "state.json").write_text(json.dumps(state))


def run_tool(tool: Tool, mode: str, org: Org, settings: dict, work: Path, env: dict[str, str],
             connectors: dict, timeout: float) -> dict:
    config_file = work / f"{tool.name}-{mode}.json"
    config_file.write_text(json.dumps({**settings, "mode": mode}))
    before, endpoints_before = org.calls_used(), org.calls_by_endpoint()
    output = Output()
    run = measured(command(tool, mode, config_file, connectors.get(tool.name), work), env, timeout, output)
    run["api_calls"] = org.calls_used() - before
    # Which calls: a Bulk read's job creates, status polls and results pages apart from REST's pages.
    run["api_calls_by_endpoint"] = {name: count - endpoints_before.get(name, 0)
                                    for name, count in sorted(org.calls_by_endpoint().items())
                                    if count > endpoints_before.get(name, 0)}
    run["records"] = output.total
    if tool.name in connectors and mode == "full":
        save_state(tool, output, work)
    print(f"   {tool.name} {mode}: {json.dumps(run)}", flush=True)
    return run


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}",
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_peers")
    parser.add_argument("--scale", default="large",
                        choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--only", default=None, help="comma-separated tool names (default: all)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed to one run of one tool")
    parser.add_argument("--install", action="store_true", help="create the peers' virtual environments that are missing")
    parser.add_argument("--tag", default=None,
                        help="write results/peers_<scale>_<tag>.json instead of the scale's own file")
    args = parser.parse_args(argv)
    tools = [t for t in TOOLS if not args.only or t.name in args.only.split(",")]
    for tool in tools:
        if tool.venv is not None and not args.install and not tool.venv.exists():
            tool.error = f"skipped: no virtual environment at {tool.venv.folder} (run with --install)"
            continue
        try:
            tool.version = tool.venv.ensure() if tool.venv else None
        except Exception as exc:  # reported in the results, not dropped
            tool.error = f"install: {exc}"
    results: dict[str, dict] = {t.name: {"tool": t.label} for t in tools}
    with served_simulator(orgs=ORG, scale=args.scale, tls=True, clock="wall") as served, \
            scratch_postgres("crm_peers_project") as project_db, scratch_postgres("crm_peers_ssf") as ssf_db, \
            tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
        work = Path(folder)
        env = {**os.environ, "REQUESTS_CA_BUNDLE": served.ca_file or "", "SSL_CERT_FILE": served.ca_file or "",
               "BENCH_SALESFORCE_LOGIN_URL": served.base_url, "PYTHONPATH": str(PEERS)}
        os.environ["REQUESTS_CA_BUNDLE"] = served.ca_file or ""
        org = Org(served.base_url)
        token = org.refresh_token()
        oldest = org.oldest_modstamp(token)
        settings = {"base_url": served.base_url, "org": ORG, "client_id": ORG, "client_secret": f"{ORG}-secret",
                    "refresh_token": token, "api_version": API_VERSION, "state_dir": str(work),
                    "objects": {obj.name: obj.field_names() for obj in CRM_OBJECTS},
                    "project_db": project_db, "pg_dsn": ssf_db.replace("postgresql+psycopg://", "postgresql://")}
        connectors: dict[str, dict] = {}
        for tool in tools:
            if tool.venv in (AIRBYTE, SINGER) and not tool.error:
                before = org.calls_used()
                try:
                    connectors[tool.name] = connector_files(tool, work, token, oldest, env)
                    results[tool.name]["discover_api_calls"] = org.calls_used() - before
                except Exception as exc:
                    tool.error = str(exc)[-1500:]
        for mode in ("full", "incremental"):
            if mode == "incremental":
                before = org.calls_used()
                changed = change_one_percent(served.base_url, args.scale, ORG)
                assert org.calls_used() == before  # the control API is not the API: no call counted
            for tool in tools:
                if tool.error:
                    continue
                try:
                    results[tool.name][mode] = run_tool(tool, mode, org, settings, work, env, connectors, args.timeout)
                except Exception as exc:
                    results[tool.name][mode] = {"error": f"{type(exc).__name__}: {exc}"[:1500]}
    for tool in tools:
        results[tool.name].update({"version": tool.version, **({"error": tool.error} if tool.error else {})})
    summary = {"scale": args.scale, "org_clock": "wall", "tls": True, "changed_records": changed,
               "machine": machine(), "tools": results}
    summary["table"] = table(summary)
    results_file = RESULTS if args.scale == "large" else RESULTS.with_name(f"peers_{args.scale}.json")
    if args.tag:
        results_file = RESULTS.with_name(f"peers_{args.scale}_{args.tag}.json")
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print("\n".join(summary["table"]))
    return 0


def table(summary: dict) -> list[str]:
    """One Markdown table of the run: each tool's full and incremental figures, its times as
    multiples of the floor's, or its error."""
    tools = summary["tools"]
    floor = tools.get("raw_floor", {})
    lines = [f"| tool ({summary['scale']}, {summary['changed_records']} records changed) | full | × floor | "
             "1% incremental | × floor | peak RSS | client CPU full | API calls full + incr | records full / incr |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, tool in tools.items():
        full, incr = tool.get("full", {}), tool.get("incremental", {})
        if "seconds" not in full or "error" in full:
            lines.append(f"| {tool['tool']} | {(tool.get('error') or full.get('error') or '')[:160]} |||||||| ")
            continue
        lines.append(
            f"| {tool['tool']}{' ' + tool['version'] if tool.get('version') else ''} | {full['seconds']:.1f} s | "
            f"{_times(full, floor.get('full'))} | {incr.get('seconds', float('nan')):.1f} s | {_times(incr, floor.get('incremental'))} | "
            f"{max(full.get('peak_rss_mib', 0), incr.get('peak_rss_mib', 0))} MiB | {full.get('cpu_seconds', 0):.1f} s | "
            f"{full.get('api_calls')} + {incr.get('api_calls')} | {full.get('records')} / {incr.get('records')} |")
    return lines


def _times(run: dict, floor: dict | None) -> str:
    if not floor or not floor.get("seconds") or "seconds" not in run:
        return ""
    return f"{run['seconds'] / floor['seconds']:.1f}×"


if __name__ == "__main__":
    sys.exit(main())
