"""S1–S4, P2, P4c: the API budget, sync and push settings, their defaults and their ranges."""

import pytest
from pydantic import BaseModel

from crm_pipelines.settings import ApiBudgetSettings, PushSettings, SettingsError, SyncSettings, validated

RANGES = [
    # model, field, lowest allowed, highest allowed, what a refusal says is allowed
    (ApiBudgetSettings, "daily_limit", 1, 10_000_000, "an integer from 1 to 10000000"),
    (ApiBudgetSettings, "org_reserve_percent", 0, 90, "an integer from 0 to 90"),
    (SyncSettings, "frequency_minutes", 5, 240, "an integer from 5 to 240"),
    (SyncSettings, "lookback_seconds", 0, 86_400, "an integer from 0 to 86400"),
    (PushSettings, "interval_minutes", 10, 1440, "an integer from 10 to 1440 (10 minutes to 24 hours)"),
    (PushSettings, "interest_threshold", 0, 100, "an integer from 0 to 100, or none"),
]
EDGES = [(model, field, value, allowed) for model, field, low, high, allowed in RANGES for value in (low, high)]
PAST_EDGES = [(model, field, value, allowed) for model, field, low, high, allowed in RANGES for value in (low - 1, high + 1)]


@pytest.mark.parametrize(("model", "field", "value", "allowed"), EDGES)
def test_each_range_accepts_its_lowest_and_highest_value(model: type[BaseModel], field, value, allowed):
    assert getattr(validated(model, {field: value}), field) == value


@pytest.mark.parametrize(("model", "field", "value", "allowed"), PAST_EDGES)
def test_each_range_refuses_one_past_either_edge_naming_field_value_and_range(model, field, value, allowed):
    with pytest.raises(SettingsError) as refused:
        validated(model, {field: value})

    assert str(refused.value) == f"{field} = {value} is not allowed: {allowed}"


@pytest.mark.parametrize(("model", "field"), [(m, f) for m, f, *_ in RANGES])
def test_a_switch_value_is_not_taken_for_a_number(model, field):
    with pytest.raises(SettingsError):
        validated(model, {field: True})


def test_a_number_given_as_text_is_read_as_a_number():
    assert validated(SyncSettings, {"frequency_minutes": "30"}).frequency_minutes == 30


def test_a_fraction_is_refused_where_whole_minutes_are_asked():
    with pytest.raises(SettingsError, match="frequency_minutes = 30.5 is not allowed"):
        validated(SyncSettings, {"frequency_minutes": 30.5})


def test_api_budget_defaults_to_5000_calls_a_day_keeping_a_tenth_of_the_org_quota_free():
    assert ApiBudgetSettings().model_dump() == {"daily_limit": 5000, "org_reserve_percent": 20, "window_hours": 24}


def test_the_budget_window_is_fixed_at_24_hours():
    with pytest.raises(SettingsError) as refused:
        validated(ApiBudgetSettings, {"window_hours": 12})

    assert str(refused.value) == "window_hours = 12 is not allowed: 24: the window is fixed at 24 hours"


def test_sync_defaults_to_hourly_crm_to_app_without_workflow_criteria_and_a_ten_minute_lookback():
    assert SyncSettings().model_dump() == {
        "frequency_minutes": 60,
        "crm_to_app": True,
        "updates_with_criteria": False,
        "lookback_seconds": 600,
        "bulk_above_records": 20_000,
    }


def test_push_defaults_to_hourly_pushes_app_to_crm_with_no_score_trigger_and_no_touch_outcomes():
    assert PushSettings().model_dump() == {
        "enabled": True,
        "interval_minutes": 60,
        "app_to_crm": True,
        "interest_threshold": None,
        "activity_touch_outcomes": frozenset(),
    }


def test_pushes_can_be_disabled():
    assert validated(PushSettings, {"enabled": False}).enabled is False


def test_the_interest_threshold_can_be_left_unset():
    assert validated(PushSettings, {"interest_threshold": None}).interest_threshold is None


def test_touch_outcomes_are_the_apps_outcomes_only():
    with pytest.raises(SettingsError) as refused:
        validated(PushSettings, {"activity_touch_outcomes": ["email_sent", "fax_sent"]})

    assert str(refused.value).startswith("activity_touch_outcomes[1] = fax_sent is not allowed: one of 'email_sent',")


def test_touch_outcomes_are_stored_in_one_order_whatever_order_they_were_given_in():
    push = validated(PushSettings, {"activity_touch_outcomes": ["email_replied", "call_connected", "email_sent"]})

    assert push.model_dump(mode="json")["activity_touch_outcomes"] == ["call_connected", "email_replied", "email_sent"]


def test_settings_are_frozen():
    with pytest.raises(ValueError):
        SyncSettings().frequency_minutes = 30  # type: ignore[misc]
