"""The Dagster UI on the demo's data, seen in a real browser (Debian's Chromium, driven by Playwright).

The demo runs first (its own data folder); then the webserver and the daemon start on that data,
and a headless Chromium opens the asset graph and a tenant partition's asset page, and checks what
a person would see there.
"""

import os
import shutil
import sqlite3
import subprocess

import pytest

from tests.dagster_services import BIN, ROOT, webserver_and_daemon

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def ui(tmp_path_factory, chromium):
    data = tmp_path_factory.mktemp("ui-data")
    env = {**os.environ, "CRM_PIPELINES_DATA_DIR": str(data)}
    demo = subprocess.run([str(BIN / "crm-pipelines"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    env |= {"DAGSTER_HOME": str(data / "demo" / "dagster"),
            "CRM_PIPELINES_DB_URL": f"sqlite:///{data / 'demo' / 'crm_pipelines.db'}"}
    with webserver_and_daemon(env, ROOT, data / "logs") as (base, daemon):
        yield base, chromium, data, daemon


@pytest.fixture
def page(ui):
    from playwright.sync_api import sync_playwright

    base, chromium, _, _ = ui
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{base}/asset-groups")
        skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit community dialog
        try:
            skip.click(timeout=10_000)
        except Exception:  # noqa: BLE001 - the dialog is not always shown
            pass
        yield page
        browser.close()


def test_the_asset_graph_draws_the_groups_and_their_assets(ui, page, tmp_path):
    base = ui[0]
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


def test_a_tenant_partition_shows_its_latest_materialization_and_metadata(ui, page):
    base, _, data, daemon = ui
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
    assert daemon.poll() is None, "the daemon stopped"

