"""`crm-pipelines demo` (what `make demo` runs) end to end, as a new user would see it; and `make ui`
(`crm-pipelines ui --demo`: `dagster dev` and the CRM simulator) on the data it left, as a person
opens it. The demo runs once for the module. The UI starts first, on a copy of the demo's data, as
soon as the demo ends: after two ticks of every sensor, nothing that is not due was launched (no
sensor launched a run: the demo's tenants were synced since they connected, and its pushes already
followed their triggers; a schedule launched only a slot that had no run yet); then a headless
Chromium (Debian's, driven by Playwright) opens the asset graph and a tenant partition's asset page
on that UI and checks what a person would see there. The demo's own checks then read its data."""

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._core.scheduler.instigation import TickStatus

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.emails import normalize_email
from crm_pipelines.demo import DEMO_SETTINGS
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import open_database
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import metadata
from tests.dagster_services import BIN, ROOT, free_port, stop_group, wait_until_answering
from tests.sim_tenants import register_sim_tenant, run_job

pytestmark = pytest.mark.slow


def _matches(db, tenant: str) -> set[tuple[str, str]]:
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], tenant)
    return set(zip(matched["prospect_id"], matched["crm_id"], strict=True))


def _unlimited_globex_matches(tmp_path) -> set[tuple[str, str]]:
    """globex as the demo sets it up, with no budget limit: what its matching should find."""
    db = open_database(f"sqlite:///{tmp_path / 'unlimited.db'}")
    settings = {k: v for k, v in DEMO_SETTINGS["globex"].items() if not k.startswith("api_budget.")}
    with run_simulator(orgs=("globex",), scale="tiny", seed=1) as sim:
        register_sim_tenant(db, sim, "globex", **settings)
        write_app_tables(db, "globex", app_data_for_org(sim.org("globex"), seed=1))
        assert run_job(db, "crm_sync", "globex").success
    return _matches(db, "globex")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`crm-pipelines demo` run once for the module: its output, stderr, data folder and times."""
    data = tmp_path_factory.mktemp("demo-data")
    env = {**os.environ, "CRM_PIPELINES_DATA_DIR": str(data)}
    for name in ("CRM_PIPELINES_DB_URL", "DAGSTER_HOME", "COLUMNS", "CRM_PIPELINES_PROGRESS"):
        env.pop(name, None)
    started = datetime.now(UTC)
    result = subprocess.run([str(BIN / "crm-pipelines"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    (data / "demo-output.txt").write_text(result.stdout)
    return {"out": result.stdout, "err": result.stderr, "data": data, "started": started, "ended": datetime.now(UTC)}


def _run_hint(hint: str) -> subprocess.CompletedProcess[str]:
    """A printed command as a user would paste it: from the project folder, with no environment
    pointing at the demo's data (the command names it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CRM_PIPELINES_DATA_DIR", "CRM_PIPELINES_DB_URL", "DAGSTER_HOME", "COLUMNS")}
    words = shlex.split(hint)
    assert words[0] == "crm-pipelines" and words[1] == "--data-dir", hint
    return subprocess.run([str(BIN / "crm-pipelines"), *words[1:]], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


SENSORS = ("tenant_registry", "crm_sync_due", "push_triggers", "api_limit_backoff")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass
class DemoUi:
    base: str
    process: subprocess.Popen
    data: Path
    log: Path
    instance: DagsterInstance
    runs_before: set[str]
    started: float


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="class")
def ui(demo, tmp_path_factory):
    """`crm-pipelines ui --demo` on a copy of the data the demo left, started as soon as the demo
    ends (so its tenants' syncs are as recent as a person opening it finds them), and stopped when
    the class's tests are done; the demo's own checks read the original, which no daemon touched."""
    data = tmp_path_factory.mktemp("ui-data")
    shutil.copytree(demo["data"] / "demo", data / "demo")
    env = {**os.environ, "CRM_PIPELINES_DATA_DIR": str(data), "PATH": f"{BIN}:{os.environ['PATH']}"}
    for name in ("CRM_PIPELINES_DB_URL", "DAGSTER_HOME", "COLUMNS", "CRM_PIPELINES_PROGRESS"):
        env.pop(name, None)
    instance = DagsterInstance.from_config(str(data / "demo" / "dagster"))
    runs_before = {run.run_id for run in instance.get_runs()}
    port, log, started = free_port(), data / "ui.log", time.time()
    process = subprocess.Popen([str(BIN / "crm-pipelines"), "ui", "--demo", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(base, process, log, timeout=420)
        yield DemoUi(base, process, data, log, instance, runs_before, started)
    finally:
        stop_group(process, env=env)
        instance.dispose()


def _ticks_since(instance: DagsterInstance, name: str, since: float) -> int:
    for state in instance.all_instigator_state():
        if state.instigator_name == name:
            return len(instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since,
                                          statuses=[TickStatus.SUCCESS, TickStatus.SKIPPED]))
    return 0


@pytest.fixture(scope="class")
def chromium() -> str:
    """Debian's Chromium, installed from Debian's packages when it is missing (no browser download)."""
    path = shutil.which("chromium")
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env,
                       check=False, capture_output=True, timeout=900)
        path = shutil.which("chromium")
    if path is None:
        _unavailable("Chromium is not installed and could not be installed from Debian's packages")
    return path


@pytest.fixture
def page(ui, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{ui.base}/asset-groups")
        skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit community dialog
        try:
            skip.click(timeout=10_000)
        except Exception:  # noqa: BLE001 - the dialog is not always shown
            pass
        yield page
        browser.close()


class TestTheUiOnTheDemosData:
    """Run first in the module: the UI starts right after the demo, as `make ui` after `make demo`."""

    def test_starting_the_ui_on_the_demos_data_launches_nothing_that_is_not_due(self, ui):
        deadline = time.monotonic() + 420
        while any(_ticks_since(ui.instance, name, ui.started) < 2 for name in SENSORS):
            assert ui.process.poll() is None, ui.log.read_text()[-3000:]
            assert time.monotonic() < deadline, (
                f"ticks: {[(n, _ticks_since(ui.instance, n, ui.started)) for n in SENSORS]}\n" + ui.log.read_text()[-3000:])
            time.sleep(3)
        runs = ui.instance.get_run_records()

        new = [r.dagster_run for r in runs if r.dagster_run.run_id not in ui.runs_before]
        assert not [(run.job_name, dict(run.tags)) for run in new if "dagster/sensor_name" in run.tags]
        # A schedule may only have launched a slot that began after the tenant's last run of that job.
        for run in new:
            assert "dagster/schedule_name" in run.tags, dict(run.tags)
            slot_start = datetime.strptime(run.tags["crm_pipelines/slot"].split(":", 2)[2], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
            earlier = [r for r in runs if r.dagster_run.run_id in ui.runs_before and r.dagster_run.job_name == run.job_name
                       and r.dagster_run.tags.get("dagster/partition") == run.tags["dagster/partition"]]
            assert all(r.create_timestamp < slot_start for r in earlier), (dict(run.tags), slot_start)

    def test_the_asset_graph_draws_the_groups_and_their_assets(self, ui, page, tmp_path):
        base = ui.base
        page.goto(f"{base}/asset-groups")
        for group in ("crm_extract", "tenants", "workflows", "outbound"):
            page.get_by_text(group, exact=True).first.wait_for(timeout=30_000)
        page.goto(f"{base}/locations/crm_pipelines/asset-groups/crm_extract/lineage")
        page.get_by_text("crm_contacts", exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "crm_extract.png"))
        page.goto(f"{base}/locations/crm_pipelines/asset-groups/outbound/list")
        for asset in ("activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes",
                      "lead_score_updates", "field_updates", "campaign_pushes", "crm_push_results"):
            page.get_by_text(asset, exact=True).first.wait_for(timeout=30_000)
        page.goto(f"{base}/locations/crm_pipelines/asset-groups/crm_extract/list")
        for asset in ("crm_users", "crm_accounts", "crm_account_team_members", "crm_contacts", "crm_leads",
                      "crm_opportunities", "crm_opportunity_contact_roles", "crm_campaigns"):
            page.get_by_text(asset, exact=True).first.wait_for(timeout=30_000)

    def test_a_tenant_partition_shows_its_latest_materialization_and_metadata(self, ui, page):
        base, data = ui.base, ui.data
        # initech is synced once in the demo (acme syncs again for its workflow), so its latest
        # materialization read every contact it holds.
        with sqlite3.connect(data / "demo" / "crm_pipelines.db") as db:
            (initech_contacts,) = db.execute("SELECT count(*) FROM crm_contacts WHERE tenant_id = 'initech'").fetchone()
        page.goto(f"{base}/assets/crm_contacts?view=partitions&partition=initech")
        page.get_by_text("Latest materialization").first.wait_for(timeout=30_000)
        page.get_by_text("records_read").first.wait_for(timeout=30_000)
        lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
        assert "initech" in lines and "Materialized" in lines
        for key in ("mode", "records_read", "rows_upserted", "api_calls_used", "api_calls_left", "deferred", "cursor"):
            assert key in lines, key
        # the value shown beside records_read is the number of initech's contacts in the warehouse
        assert lines[lines.index("records_read") + 1] == str(initech_contacts)
        assert ui.process.poll() is None, "the UI (webserver and daemon) stopped"


def test_the_demo_runs_end_to_end_and_shows_a_deferral_and_its_resumption(demo, tmp_path):
    out, data = demo["out"], demo["data"]
    assert "globex: API budget ran out; deferred" in out
    assert "now: nothing to launch" in out  # the sensor launches nothing before the window reopens
    assert "resumed globex crm_sync (deferral-" in out and ": done" in out
    pushes = out[out.index("The outbound push"):out.index("\ntenant  ")]
    assert "initech: pushes are off" in pushes
    for tenant in ("acme", "globex", "hooli"):
        line = next(l for l in pushes.splitlines() if l.strip().startswith(f"{tenant}:"))
        assert int(line.split(":")[1].split()[0]) > 0, line  # records in the CRM
    summary = out[out.index("\ntenant  ") + 1:]
    assert "pushed" in summary.splitlines()[0]
    for tenant in ("acme", "globex", "initech", "hooli"):
        assert f"\n{tenant} " in summary
    # The Insightly tenant sits in the same table, its CRM named.
    crms = {line.split()[0]: line.split()[1] for line in summary.splitlines()[2:6]}
    assert crms == {"acme": "salesforce", "globex": "salesforce", "initech": "salesforce", "hooli": "insightly"}
    # The budget text is right: the most calls in any 24 hours never exceeds the tenant's daily limit.
    assert summary.splitlines()[0].split()[7:10] == ["calls", "most/24h", "limit/day"]
    for line in summary.splitlines()[2:6]:
        most, limit = (int(v) for v in line.split()[7:9])
        assert most <= limit, line
    assert (data / "demo" / "crm_pipelines.db").exists()

    # F3 per field: the Title changed on both sides goes to the later (CRM) edit and is logged as a
    # conflict with both values; the app's Phone and the CRM's City both survive, on both sides.
    both = out[out.index("4. Edits on both sides"):out.index("The daily list rebuild")]
    assert "Title changed on both sides: conflict_crm_newer, 'Head of Revenue' -> 'VP Sales'" in both
    assert "the app now: Title 'VP Sales', City 'Lisbon'" in both and "Phone '+1 415 555 0142'" in both
    assert ("in the CRM now: Title 'VP Sales' (the CRM's later edit), Phone '+1 415 555 0142' (the app's edit), "
            "City 'Lisbon'") in out
    assert "emitted no result" not in demo["err"]

    # The sensor's resumption ran globex's whole chain: no second matching run, and its matches are
    # what an unlimited budget gives; no Lead any push created duplicates a CRM Lead or Contact.
    assert "Matching and field sync again" not in out
    db = open_database(f"sqlite:///{data / 'demo' / 'crm_pipelines.db'}")
    globex = _matches(db, "globex")
    assert globex and globex == _unlimited_globex_matches(tmp_path)
    globex_line = next(line for line in summary.splitlines() if line.startswith("globex "))
    assert str(len(globex)) in globex_line.split()
    for tenant in ("acme", "globex", "hooli"):
        known = {normalize_email(e) for name in ("Lead", "Contact")
                 for e in read_records(db, BY_NAME[name], tenant)["email"].dropna()} - {None}
        leads = read_ledger(db, tenant, state="sent")
        created = leads.loc[(leads["sobject"] == "Lead") & leads["external_id"].str.startswith("prospect:")]
        emails = [normalize_email((fields or {}).get("Email")) for fields in created["sent_fields"]]
        assert created.shape[0], f"{tenant}: the push created no Lead"
        assert not [e for e in emails if e in known], f"{tenant}: a pushed Lead duplicates a CRM Lead or Contact"


def test_every_command_the_demo_prints_works_as_printed_and_shows_the_demos_data(demo):
    hints = sorted(set(re.findall(r"`(crm-pipelines [^`]+)`", demo["out"])))
    assert any(" log --tenant acme --record " in h for h in hints) and any(" push status --tenant " in h for h in hints)
    for hint in hints:
        shown = _run_hint(hint)
        assert shown.returncode == 0, f"{hint}: {shown.stdout}{shown.stderr}"
        lines = shown.stdout.splitlines()
        assert len(lines) >= 2, f"{hint}: {shown.stdout}"
        words = shlex.split(hint)
        if "--record" in words:
            record = words[words.index("--record") + 1]
            assert all(record in line for line in lines[1:]), f"{hint}: {shown.stdout}"
        if "status" in words:
            tenant = words[words.index("--tenant") + 1]
            assert lines[0].startswith(f"tenant {tenant}: ") and " sent" in lines[0], shown.stdout
            assert int(lines[0].rsplit(", ", 1)[1].split()[0]) > 0, "the demo pushed records for this tenant"


def test_the_log_shows_real_times_not_the_demos_moved_clock(demo):
    hint = next(h for h in re.findall(r"`(crm-pipelines [^`]+)`", demo["out"]) if " log --tenant acme" in h)
    data_dir = shlex.split(hint)[2]
    shown = _run_hint(f"crm-pipelines --data-dir {shlex.quote(data_dir)} log --tenant globex --json")
    rows = json.loads(shown.stdout)
    pushed = [r for r in rows if r["direction"] == "app_to_crm"]
    assert pushed, "the demo pushed globex's records on a clock moved days ahead"
    latest = demo["ended"] + timedelta(minutes=1)
    for row in rows:
        assert demo["started"] - timedelta(minutes=1) <= datetime.fromisoformat(row["at"]) <= latest, row
    assert any(datetime.fromisoformat(r["pipeline_at"]) > latest for r in pushed)


def test_the_ui_brings_back_every_demo_org_in_its_dialect_with_its_credentials(demo, monkeypatch):
    from crm_pipelines.cli.ui import demo_environment

    monkeypatch.setenv("CRM_PIPELINES_DATA_DIR", str(demo["data"]))
    env, command = demo_environment({})
    assert command[command.index("--orgs") + 1].split(",") == ["acme", "globex", "initech", "hooli:insightly"]
    assert env["DEMO_HOOLI_API_KEY"] == "hooli" and env["DEMO_ACME_CLIENT_ID"] == "acme"
