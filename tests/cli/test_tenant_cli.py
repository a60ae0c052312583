"""`crm-pipelines tenant ...`: every refusal names the field, exits non-zero, and changes nothing (T1, T2)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crm_pipelines.cli.output import NOT_FOUND
from crm_pipelines.store.database import open_database
from tests.cli_runner import invoke

ADD = [
    "tenant", "add", "acme", "--name", "Acme Corp", "--login-url", "https://acme.my.salesforce.com",
    "--client-id-env", "ACME_CLIENT_ID", "--client-secret-env", "ACME_CLIENT_SECRET",
]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return invoke


def registry_rows() -> list[tuple]:
    with open_database().engine.connect() as conn:
        return conn.execute(text("SELECT id, name, connection, settings, status FROM tenants ORDER BY id")).fetchall()


def test_add_then_show_and_list(cli):
    assert cli(*ADD).exit_code == 0
    shown = cli("tenant", "show", "acme")
    assert shown.exit_code == 0
    assert "ACME_CLIENT_SECRET" in shown.output
    assert "frequency_minutes: 60" in shown.output
    listed = cli("tenant", "list")
    assert "acme" in listed.output and "connected" in listed.output


def test_add_with_settings(cli):
    assert cli(*ADD, "--set", "sync.frequency_minutes=30", "--set", "push.enabled=false").exit_code == 0
    assert "frequency_minutes: 30" in cli("tenant", "show", "acme").output


@pytest.mark.parametrize(
    ("assignment", "field", "allowed"),
    [
        ("sync.frequency_minutes=4", "sync.frequency_minutes", "240"),
        ("sync.frequency_minutes=241", "sync.frequency_minutes", "240"),
        ("push.interval_minutes=9", "push.interval_minutes", "1440"),
        ("push.interval_minutes=1441", "push.interval_minutes", "1440"),
        ("api_budget.daily_limit=0", "api_budget.daily_limit", "10"),
        ("push.interest_threshold=101", "push.interest_threshold", "100"),
        ("connector.match_by_email=perhaps", "connector.match_by_email", "true or false"),
        ("sync.frequncy_minutes=30", "sync.frequncy_minutes", "frequency_minutes"),
        ("time_zone=Europe/Berln", "time_zone", "an IANA time zone name"),
        ("auto_save.daily_rebuild_at=25:00", "auto_save.daily_rebuild_at", "in the tenant's time_zone"),
    ],
)
def test_set_refuses_a_bad_value_naming_field_value_and_range_and_changes_nothing(cli, assignment, field, allowed):
    assert cli(*ADD).exit_code == 0
    before = registry_rows()
    result = cli("tenant", "set", "acme", "sync.frequency_minutes=30", assignment)
    assert result.exit_code == 2
    assert field in result.stderr
    assert assignment.split("=", 1)[1] in result.stderr
    assert allowed in result.stderr
    assert registry_rows() == before


def test_the_rebuild_time_is_shown_and_set_local_to_the_tenants_zone(cli):
    assert cli(*ADD).exit_code == 0
    assert "daily list rebuild: 05:00 UTC (next: " in cli("tenant", "show", "acme").output

    changed = cli("tenant", "set", "acme", "time_zone=Pacific/Auckland", "auto_save.daily_rebuild_at=23:59")
    assert changed.exit_code == 0
    assert "acme: the daily list rebuild runs at 23:59 Pacific/Auckland (next: " in changed.output
    shown = cli("tenant", "show", "acme").output
    assert "time_zone: Pacific/Auckland" in shown and "daily list rebuild: 23:59 Pacific/Auckland (next: " in shown
    # The older UTC key is no local time of a tenant in Auckland.
    refused = cli("tenant", "set", "acme", "auto_save.daily_rebuild_utc=05:00")
    assert refused.exit_code == 2 and "this one's time_zone is Pacific/Auckland" in refused.stderr


def test_add_refuses_a_bad_value_and_stores_nothing(cli):
    result = cli(*ADD, "--set", "sync.frequency_minutes=500")
    assert result.exit_code == 2
    assert "sync.frequency_minutes" in result.stderr and "500" in result.stderr
    assert registry_rows() == []


def test_add_refuses_a_lowercase_env_var_name(cli):
    args = list(ADD)
    args[args.index("ACME_CLIENT_SECRET")] = "my-secret-value"
    result = cli(*args)
    assert result.exit_code == 2
    assert "client_secret_env" in result.stderr
    assert registry_rows() == []


def test_a_second_connection_for_a_tenant_is_refused(cli):
    assert cli(*ADD).exit_code == 0
    before = registry_rows()
    again = cli(*[a if a != "https://acme.my.salesforce.com" else "https://other.my.salesforce.com" for a in ADD])
    assert again.exit_code == 2
    assert "already" in again.stderr and "acme" in again.stderr
    assert registry_rows() == before


def test_one_org_serves_one_tenant(cli):
    assert cli(*ADD).exit_code == 0
    before = registry_rows()
    other = [a if a != "acme" else "acme-two" for a in ADD]
    result = cli(*other)
    assert result.exit_code == 2
    assert "https://acme.my.salesforce.com" in result.stderr and "'acme'" in result.stderr
    assert registry_rows() == before


def test_disconnect_and_reconnect(cli):
    assert cli(*ADD).exit_code == 0
    assert cli("tenant", "disconnect", "acme").exit_code == 0
    assert "disconnected" in cli("tenant", "list").output
    assert cli("tenant", "disconnect", "acme").exit_code == 2
    assert cli("tenant", "reconnect", "acme").exit_code == 0
    assert registry_rows()[0].status == "connected"


def test_an_unknown_tenant_is_not_found_naming_it(cli):
    result = cli("tenant", "show", "nobody")
    assert result.exit_code == NOT_FOUND
    assert "nobody" in result.stderr


def test_remove(cli):
    assert cli(*ADD).exit_code == 0
    assert invoke("tenant", "remove", "acme", stdin="n\n").exit_code == 2  # asked, and not confirmed
    assert len(registry_rows()) == 1
    assert cli("tenant", "remove", "acme", "--yes").exit_code == 0
    assert registry_rows() == []


def test_import_is_all_or_nothing(cli, tmp_path):
    good = tmp_path / "tenants.yaml"
    good.write_text(
        """
tenants:
  - id: globex
    name: Globex
    connection:
      kind: salesforce
      login_url: https://globex.my.salesforce.com
      credentials: {grant: client_credentials, client_id_env: GLOBEX_ID, client_secret_env: GLOBEX_SECRET}
  - id: initech
    name: Initech
    connection:
      kind: salesforce
      login_url: https://initech.my.salesforce.com
      credentials: {grant: client_credentials, client_id_env: INITECH_ID, client_secret_env: INITECH_SECRET}
    settings:
      sync: {frequency_minutes: 999}
"""
    )
    result = cli("tenant", "import", str(good))
    assert result.exit_code == 2
    assert "frequency_minutes" in result.stderr and "999" in result.stderr
    assert registry_rows() == []
    good.write_text(good.read_text().replace("999", "45"))
    assert cli("tenant", "import", str(good)).exit_code == 0
    assert [r.id for r in registry_rows()] == ["globex", "initech"]


def test_no_secret_value_is_ever_printed(cli, monkeypatch):
    monkeypatch.setenv("ACME_CLIENT_SECRET", "s3cr3t-value-xyz")
    outputs = [cli(*ADD).output, cli("tenant", "show", "acme").output, cli("tenant", "list").output]
    assert all("s3cr3t-value-xyz" not in out for out in outputs)
    assert all("s3cr3t-value-xyz" not in str(row) for row in registry_rows())


GOOD_WORKFLOW = ("workflows=[{name: Exit disqualified, record_type: Lead, action: exit_cadence, "
                 "criteria: [{field: status, operator: equals, value: Disqualified}]}]")


@pytest.mark.parametrize(("workflow", "reason"), [
    ("[{name: W, record_type: Lead, action: exit_cadence, criteria: [{field: job_title, operator: equals, value: x}]}]",
     "workflows[0].criteria[0].field = job_title is not allowed"),
    ("[{name: W, record_type: Lead, action: exit_cadence, criteria: [{field: title, operator: resembles, value: x}]}]",
     "workflows[0].criteria[0].operator = resembles is not allowed"),
    ("[{name: W, record_type: Contact, action: move_to_cadence, criteria: [{field: title, operator: contains, value: VP}]}]",
     "target_cadence"),
])
def test_a_workflow_with_an_unknown_field_or_operator_or_a_move_without_target_is_refused_and_nothing_changes(
        cli, workflow, reason):
    assert cli(*ADD).exit_code == 0
    assert cli("tenant", "set", "acme", GOOD_WORKFLOW).exit_code == 0
    before = registry_rows()
    refused = cli("tenant", "set", "acme", f"workflows={workflow}")
    assert refused.exit_code == 2
    assert reason in refused.output
    assert registry_rows() == before
    assert "Exit disqualified" in cli("tenant", "show", "acme").output
