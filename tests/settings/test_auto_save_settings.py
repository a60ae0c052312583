"""L4: the tenant's auto-save switch and each user's rules."""

from datetime import time

import pytest

from crm_pipelines.settings import ACCOUNT_RULES, LEAD_RULES, AutoSaveSettings, SettingsError, UserRuleSelection, validated


def test_auto_save_is_on_and_rebuilds_at_five_local_time_by_default():
    assert AutoSaveSettings().model_dump() == {"enabled": True, "daily_rebuild_at": time(5, 0)}


def test_the_tenant_admin_can_switch_auto_save_off():
    assert validated(AutoSaveSettings, {"enabled": "off"}).enabled is False


def test_the_rebuild_time_is_read_from_text():
    assert validated(AutoSaveSettings, {"daily_rebuild_at": "23:30"}).daily_rebuild_at == time(23, 30)


def test_a_rebuild_time_with_seconds_is_refused_as_the_schedule_counts_minutes():
    with pytest.raises(SettingsError) as refused:
        validated(AutoSaveSettings, {"daily_rebuild_at": "05:00:30"})

    assert str(refused.value) == (
        "daily_rebuild_at = 05:00:30 is not allowed: a time of day in the tenant's time_zone, in whole minutes, "
        'such as "05:00"'
    )


def test_an_unquoted_yaml_time_read_as_a_number_is_refused_not_taken_as_seconds():
    with pytest.raises(SettingsError, match=r"^daily_rebuild_at = 300 is not allowed"):
        validated(AutoSaveSettings, {"daily_rebuild_at": 300})


def test_a_rebuild_time_with_an_offset_is_refused_as_the_zone_is_the_tenants():
    for given in ("05:00+02:00", "05:00Z"):
        with pytest.raises(SettingsError, match=r"^daily_rebuild_at = 05:00:00(\+00:00|\+02:00) is not allowed"):
            validated(AutoSaveSettings, {"daily_rebuild_at": given})


def test_a_user_starts_with_every_rule():
    assert UserRuleSelection().model_dump() == {
        "account_rules": frozenset({"A1", "A2", "A3"}),
        "lead_rules": frozenset({"P1", "P2", "P3", "P4", "P5"}),
    }


def test_a_user_may_turn_every_rule_off():
    rules = validated(UserRuleSelection, {"account_rules": [], "lead_rules": []})

    assert (rules.account_rules, rules.lead_rules) == (frozenset(), frozenset())


def test_an_unknown_rule_is_refused():
    with pytest.raises(SettingsError) as refused:
        validated(UserRuleSelection, {"lead_rules": ["P1", "P6"]})

    assert str(refused.value) == "lead_rules[1] = P6 is not allowed: one of 'P1', 'P2', 'P3', 'P4' or 'P5'"


def test_every_rule_has_the_specs_wording():
    assert ACCOUNT_RULES["A3"] == "accounts whose Account Team includes the user"
    assert LEAD_RULES["P3"] == "leads and contacts the user owns"
    assert (sorted(ACCOUNT_RULES), sorted(LEAD_RULES)) == (["A1", "A2", "A3"], ["P1", "P2", "P3", "P4", "P5"])


def test_rules_are_stored_in_one_order():
    rules = validated(UserRuleSelection, {"account_rules": ["A3", "A1"]})

    assert rules.model_dump(mode="json")["account_rules"] == ["A1", "A3"]
