"""Importing tenants from YAML: every tenant valid, ids unique, one org per tenant (T2)."""

import textwrap

import pytest

from crm_pipelines.settings import SettingsError, load_tenants_yaml

TWO_TENANTS = """
- id: acme
  name: Acme Inc.
  connection:
    login_url: https://acme.my.salesforce.com
    api_version: 60.0
    credentials: {grant: client_credentials, client_id_env: ACME_ID, client_secret_env: ACME_SECRET}
  settings:
    sync: {frequency_minutes: 30, updates_with_criteria: true}
    push: {interest_threshold: 70, activity_touch_outcomes: [email_replied, call_connected]}
    time_zone: America/Los_Angeles
    auto_save: {daily_rebuild_at: "04:00"}
    workflows:
      - name: Exit disqualified
        record_type: Lead
        criteria: [{field: status, operator: equals, value: Disqualified}]
        action: exit_cadence
- id: globex
  name: Globex
  connection:
    login_url: https://login.salesforce.com
    credentials: {grant: password, client_id_env: GLOBEX_ID, client_secret_env: GLOBEX_SECRET,
                  username_env: GLOBEX_USER, password_env: GLOBEX_PASSWORD}
"""


def refusal(text: str) -> str:
    with pytest.raises(SettingsError) as refused:
        load_tenants_yaml(textwrap.dedent(text))
    return str(refused.value)


def test_a_yaml_list_of_tenants_is_read_with_their_settings():
    acme, globex = load_tenants_yaml(TWO_TENANTS)

    assert (acme.id, acme.settings.sync.frequency_minutes, acme.settings.push.interest_threshold,
            [w.name for w in acme.settings.workflows]) == ("acme", 30, 70, ["Exit disqualified"])
    assert (globex.id, globex.connection.credentials.grant, globex.settings.sync.frequency_minutes) == (
        "globex", "password", 60)


def test_a_mapping_with_the_key_tenants_is_read_the_same():
    indented = "tenants:\n" + textwrap.indent(TWO_TENANTS, "  ")

    assert load_tenants_yaml(indented) == load_tenants_yaml(TWO_TENANTS)


def test_a_bad_value_names_the_tenant_and_the_field():
    assert refusal(TWO_TENANTS.replace("frequency_minutes: 30", "frequency_minutes: 3")) == (
        "tenants[0].settings.sync.frequency_minutes = 3 is not allowed (tenant 'acme'): an integer from 5 to 240"
    )


def test_a_bad_value_in_a_workflow_names_tenant_workflow_and_row():
    assert refusal(TWO_TENANTS.replace("operator: equals", "operator: equal")).startswith(
        "tenants[0].settings.workflows[0].criteria[0].operator = equal is not allowed "
        "(tenant 'acme', workflow 'Exit disqualified'): one of 'equals',"
    )


def test_every_bad_value_of_every_tenant_is_reported_at_once():
    text = TWO_TENANTS.replace("frequency_minutes: 30", "frequency_minutes: 3").replace("name: Globex", "name: ''")

    assert [line.split(" = ")[0] for line in refusal(text).splitlines()] == [
        "tenants[0].settings.sync.frequency_minutes", "tenants[1].name",
    ]


def test_a_missing_connection_is_named():
    assert refusal("- {id: acme, name: Acme}") == (
        "tenants[0].connection is missing (tenant 'acme'): a value: this setting is required"
    )


def test_two_tenants_with_one_id_are_refused():
    text = TWO_TENANTS.replace("id: globex", "id: acme")

    assert refusal(text) == (
        "tenants[1].id = acme is not allowed (tenant 'acme'): an id no other tenant has; tenants[0] has it"
    )


def test_two_tenants_on_one_org_are_refused():
    text = TWO_TENANTS.replace("https://login.salesforce.com", "https://acme.my.salesforce.com").replace(
        "grant: password, client_id_env: GLOBEX_ID", "grant: password, client_id_env: ACME_ID"
    ).replace("GLOBEX_USER", "ACME_ID")

    assert refusal(text) == (
        "tenants[1].connection = 'https://acme.my.salesforce.com with ACME_ID' is not allowed (tenant 'globex'): "
        "a CRM org no other tenant is connected to: tenant 'acme' already is, and one org serves one tenant"
    )


def test_tenants_of_different_orgs_behind_one_login_host_are_accepted():
    text = TWO_TENANTS.replace("https://login.salesforce.com", "https://acme.my.salesforce.com")

    assert [t.id for t in load_tenants_yaml(text)] == ["acme", "globex"]


def test_malformed_yaml_is_refused_with_its_line():
    assert refusal("- id: acme\n  name: [Acme\n") .startswith("tenants = 'line 3, column 1' is not allowed: well-formed YAML")


@pytest.mark.parametrize(("text", "shape"), [
    ("", "an empty file"),
    ("acme", "a str"),
    ("{clients: []}", "a mapping with keys clients"),
])
def test_a_file_that_is_not_a_list_of_tenants_is_refused(text, shape):
    assert refusal(text) == (
        f"tenants = {shape!r} is not allowed: a YAML list of tenants, or a mapping with the one key tenants"
    )


def test_an_empty_list_imports_no_tenants():
    assert load_tenants_yaml("[]") == []
