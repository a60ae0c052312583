"""Changing a tenant's settings by dotted key, as the CLI does: all applied, or nothing."""

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_pipelines.settings import SETTING_KEYS, SettingsError, Tenant, TenantSettings

ACME = {
    "id": "acme",
    "name": "Acme",
    "connection": {"login_url": "https://acme.my.salesforce.com",
                   "credentials": {"grant": "client_credentials", "client_id_env": "ACME_ID",
                                   "client_secret_env": "ACME_SECRET"}},
}


def test_updates_are_read_as_each_fields_type_and_applied(acme):
    changed = acme.with_settings({
        "sync.frequency_minutes": "30",
        "connector.overwrite_app_with_empty_crm_values": "false",
        "push.interest_threshold": "75",
        "push.activity_touch_outcomes": "email_replied, call_connected",
        "time_zone": "Europe/Berlin",
        "auto_save.daily_rebuild_at": "06:30",
    })

    s = changed.settings
    assert (s.sync.frequency_minutes, s.connector.overwrite_app_with_empty_crm_values, s.push.interest_threshold,
            s.push.activity_touch_outcomes, s.time_zone, s.auto_save.daily_rebuild_at) == (
        30, False, 75, frozenset({"email_replied", "call_connected"}), "Europe/Berlin", time(6, 30))


def test_settings_not_named_keep_their_values(acme):
    changed = acme.with_settings({"sync.frequency_minutes": "30"})

    assert changed.settings.model_dump(exclude={"sync"}) == acme.settings.model_dump(exclude={"sync"})
    assert (changed.id, changed.connection, changed.connected_at) == (acme.id, acme.connection, acme.connected_at)


def test_none_clears_an_optional_setting(acme):
    with_threshold = acme.with_settings({"push.interest_threshold": "50"})

    assert with_threshold.with_settings({"push.interest_threshold": "none"}).settings.push.interest_threshold is None


def test_an_empty_list_of_touch_outcomes_clears_them(acme):
    logged = acme.with_settings({"push.activity_touch_outcomes": "email_sent"})

    assert logged.with_settings({"push.activity_touch_outcomes": ""}).settings.push.activity_touch_outcomes == frozenset()


def test_workflows_are_given_as_yaml(acme):
    changed = acme.with_settings({
        "sync.updates_with_criteria": "true",
        "workflows": "- {name: Exit disqualified, record_type: Lead, action: exit_cadence,"
                     " criteria: [{field: status, operator: equals, value: Disqualified}]}",
    })

    assert [w.name for w in changed.settings.workflows] == ["Exit disqualified"]


def test_a_bad_value_is_refused_naming_key_value_and_range_and_the_tenant_is_unchanged(acme):
    with pytest.raises(SettingsError) as refused:
        acme.with_settings({"sync.frequency_minutes": "3"})

    assert str(refused.value) == "sync.frequency_minutes = 3 is not allowed (tenant 'acme'): an integer from 5 to 240"
    assert acme.settings.sync.frequency_minutes == 60


def test_nothing_is_applied_when_one_of_several_updates_is_refused(acme):
    with pytest.raises(SettingsError) as refused:
        acme.with_settings({"sync.frequency_minutes": "30", "push.interval_minutes": "5"})

    assert [p.field for p in refused.value.problems] == ["push.interval_minutes"]
    assert acme.settings == TenantSettings()


def test_every_refused_update_is_reported_at_once(acme):
    with pytest.raises(SettingsError) as refused:
        acme.with_settings({"sync.frequency_minutes": "300", "push.enabled": "perhaps"})

    assert [p.field for p in refused.value.problems] == ["sync.frequency_minutes", "push.enabled"]


def test_an_unknown_key_is_refused_listing_the_valid_keys(acme):
    with pytest.raises(SettingsError) as refused:
        acme.with_settings({"sync.frequency": "30"})

    problem = refused.value.problems[0]
    assert (problem.field, problem.value) == ("sync.frequency", "30")
    assert problem.allowed == "a known setting: " + ", ".join(SETTING_KEYS)
    assert "sync.frequency_minutes" in problem.allowed


def test_a_cross_field_refusal_applies_nothing(acme):
    with pytest.raises(SettingsError, match=r"^workflows\[0\]\.target_cadence = None is not allowed"):
        acme.with_settings({"workflows": "[{name: Move, record_type: Lead, action: move_to_cadence,"
                                          " criteria: [{field: status, operator: is_not_empty}]}]"})

    assert acme.settings.workflows == ()


def test_malformed_yaml_for_workflows_is_refused(acme):
    with pytest.raises(SettingsError, match=r"^workflows = '\[\{name: ' is not allowed \(tenant 'acme'\): a YAML list"):
        acme.with_settings({"workflows": "[{name: "})


def test_the_settable_keys_are_every_setting_of_a_tenant():
    assert list(SETTING_KEYS) == [
        "time_zone",
        "api_budget.daily_limit", "api_budget.org_reserve_percent", "api_budget.window_hours",
        "sync.frequency_minutes", "sync.crm_to_app", "sync.updates_with_criteria", "sync.lookback_seconds",
        "sync.bulk_above_records",
        "push.enabled", "push.interval_minutes", "push.app_to_crm", "push.interest_threshold",
        "push.activity_touch_outcomes",
        "connector.create_prospects_from_crm", "connector.update_email_from_crm",
        "connector.delete_or_merge_from_crm", "connector.overwrite_app_with_empty_crm_values",
        "connector.overwrite_crm_with_empty_app_values", "connector.match_by_email",
        "connector.crm_overwrites_opted_out", "connector.show_activity_in_crm",
        "connector.follow_crm_label_changes",
        "field_mappings",
        "auto_save.enabled", "auto_save.daily_rebuild_at",
        "workflows",
    ]


@given(st.integers(min_value=5, max_value=240))
def test_any_frequency_in_range_round_trips_through_a_command_line_update(minutes):
    tenant = Tenant.model_validate(ACME)

    assert tenant.with_settings({"sync.frequency_minutes": str(minutes)}).settings.sync.frequency_minutes == minutes


@given(st.integers().filter(lambda n: not 10 <= n <= 1440))
def test_any_push_interval_out_of_range_is_refused_and_changes_nothing(minutes):
    tenant = Tenant.model_validate(ACME)

    with pytest.raises(SettingsError):
        tenant.with_settings({"push.interval_minutes": str(minutes)})
    assert tenant.settings.push.interval_minutes == 60


@given(
    st.integers(min_value=1, max_value=10_000_000),
    st.integers(min_value=0, max_value=90),
    st.sets(st.sampled_from(["email_sent", "call_connected", "task_completed", "touch_skipped"])),
    st.none() | st.integers(min_value=0, max_value=100),
    st.times().map(lambda t: t.replace(second=0, microsecond=0, tzinfo=None)),
    st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kathmandu"]),
)
def test_any_valid_settings_survive_storage_as_json(daily_limit, reserve, outcomes, threshold, rebuild, zone):
    settings = TenantSettings.model_validate({
        "api_budget": {"daily_limit": daily_limit, "org_reserve_percent": reserve},
        "push": {"activity_touch_outcomes": outcomes, "interest_threshold": threshold},
        "time_zone": zone,
        "auto_save": {"daily_rebuild_at": rebuild},
        "workflows": [{"name": "Hot", "record_type": "Contact", "action": "next_touch", "combinator": "any",
                       "criteria": [{"field": "lead_score", "operator": "greater_than", "value": 80},
                                    {"field": "region", "operator": "in_list", "value": ["EMEA", "APAC"]}]}],
    })

    assert TenantSettings.model_validate_json(settings.model_dump_json()) == settings

