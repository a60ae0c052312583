"""`crm-pipelines match confirm` (X3) and `crm-pipelines log` (F8): what they accept and refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from crm_pipelines.cli.output import NOT_FOUND, REFUSED
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.app_data import read_app_table, write_app_table
from crm_pipelines.store.bulk import insert_frame
from crm_pipelines.store.connector_log import append_log
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tables import crm_tables
from crm_pipelines.store.tenants import TenantRegistry
from tests.cli_runner import invoke

CONTACT = "0032i00000L0001AAB"
EXTRACTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    db = open_database()
    TenantRegistry(db).add(validated(Tenant, {
        "id": "acme", "name": "Acme",
        "connection": {"login_url": "https://acme.my.salesforce.com",
                       "credentials": {"grant": "client_credentials", "client_id_env": "ACME_ID",
                                       "client_secret_env": "ACME_SECRET"}},
    }))
    write_app_table(db, "acme", "prospects", pd.DataFrame({"prospect_id": ["p1"], "email": ["ann@acme.com"]}))
    with db.transaction() as conn:
        insert_frame(conn, crm_tables["Contact"],
                     pd.DataFrame({"tenant_id": ["acme"], "id": [CONTACT], "extracted_at": [EXTRACTED]}))
    return invoke


def test_confirming_a_match_stores_the_override(cli):
    result = cli("match", "confirm", "--tenant", "acme", "--prospect", "p1", "--crm-id", CONTACT)
    assert result.exit_code == 0, result.output
    assert "prospect p1 is Contact 0032i00000L0001AAB" in result.output
    overrides = read_app_table(open_database(), "acme", "match_overrides")
    assert overrides[["entity", "app_id", "crm_id"]].values.tolist() == [["prospect", "p1", CONTACT]]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--tenant", "nobody", "--prospect", "p1", "--crm-id", CONTACT), NOT_FOUND, "no tenant 'nobody'"),
    (("--tenant", "acme", "--prospect", "p9", "--crm-id", CONTACT), NOT_FOUND, "tenant 'acme' has no prospect 'p9'"),
    (("--tenant", "acme", "--company", "p1", "--crm-id", CONTACT), NOT_FOUND, "tenant 'acme' has no company 'p1'"),
    (("--tenant", "acme", "--prospect", "p1", "--crm-id", "0032i00000L0009AAB"), NOT_FOUND,
     "has no extracted CRM Contact or Lead '0032i00000L0009AAB'"),
    (("--tenant", "acme", "--prospect", "p1", "--user", "u1", "--crm-id", CONTACT), REFUSED, "exactly one app record"),
])
def test_a_confirmation_of_an_unknown_tenant_or_record_is_not_found_a_bad_one_refused_and_nothing_stored(
        cli, args, code, message):
    result = invoke("match", "confirm", *args)
    assert result.exit_code == code
    assert message in result.output
    assert read_app_table(open_database(), "acme", "match_overrides").empty


def _log_row(at: str, app_id: str, new: str) -> pd.DataFrame:
    return pd.DataFrame({
        "at": [pd.Timestamp(at, tz="UTC")], "object": ["prospect"], "app_id": [app_id], "crm_type": ["Contact"],
        "crm_id": [CONTACT], "field": ["title"], "crm_field": ["Title"], "old_value": ["CEO"], "new_value": [new],
        "direction": ["crm_to_app"], "reason": ["crm_newer"],
    })


def test_the_log_shows_changes_oldest_first_filtered_by_record_time_and_limit(cli):
    db = open_database()
    append_log(db, "acme", pd.concat([_log_row("2026-03-01 09:00", "p1", "CTO"),
                                      _log_row("2026-03-02 09:00", "p2", "CFO")]), run_id="r1", batch="synced_prospects")
    everything = cli("log", "--tenant", "acme").output.splitlines()
    assert [line.split()[-1] for line in everything[1:]] == ["CTO", "CFO"]
    assert everything[1].split()[:5] == ["2026-03-01", "09:00:00", "crm_to_app", "prospect", "p1"]
    assert "CEO -> CTO" in everything[1]
    assert len(cli("log", "--tenant", "acme", "--record", "p2").output.splitlines()) == 2
    assert "CFO" in cli("log", "--tenant", "acme", "--since", "2026-03-02").output
    assert "CTO" not in cli("log", "--tenant", "acme", "--since", "2026-03-02").output
    assert "CTO" not in cli("log", "--tenant", "acme", "--limit", "1").output
    nothing = cli("log", "--tenant", "acme", "--record", "p9")
    assert nothing.exit_code == NOT_FOUND and nothing.stdout == ""
    assert "no changes logged for p9" in nothing.stderr


def test_the_log_refuses_a_time_it_cannot_read_and_does_not_find_an_unknown_tenant(cli):
    bad_time = invoke("log", "--tenant", "acme", "--since", "yesterday")
    assert bad_time.exit_code == REFUSED and "--since 'yesterday' is not a time" in bad_time.output
    unknown = invoke("log", "--tenant", "nobody")
    assert unknown.exit_code == NOT_FOUND and "no tenant 'nobody'" in unknown.output
