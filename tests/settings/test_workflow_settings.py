"""W1–W4: a workflow that cannot work is refused when it is configured, with the reason."""

from typing import Any

import pytest

from crm_pipelines.settings import Criterion, SettingsError, TenantSettings, Workflow, validated


def workflow(*criteria: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "name": "Exit disqualified",
        "record_type": "Lead",
        "criteria": list(criteria) or [{"field": "status", "operator": "equals", "value": "Disqualified"}],
        "action": "exit_cadence",
        **changes,
    }


def refusal(*workflows: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as refused:
        validated(TenantSettings, {"workflows": list(workflows)})
    return str(refused.value)


def test_the_issues_two_examples_are_accepted():
    settings = validated(TenantSettings, {"workflows": [
        workflow(),
        workflow({"field": "title", "operator": "contains", "value": "VP"}, name="VPs to executives",
                 record_type="Contact", action="move_to_cadence", target_cadence="Executive"),
    ]})

    assert [(w.action, w.target_cadence, w.combinator) for w in settings.workflows] == [
        ("exit_cadence", None, "all"), ("move_to_cadence", "Executive", "all"),
    ]


def test_an_unknown_field_is_refused_naming_workflow_row_and_the_fields_there_are():
    message = refusal(workflow({"field": "job_title", "operator": "contains", "value": "VP"}))

    assert message == (
        "workflows[0].criteria[0].field = job_title is not allowed (workflow 'Exit disqualified'): a prospect "
        "field: city, company, country, created_at, email, first_name, industry, last_activity_at, last_name, "
        "lead_score, lead_source, opted_out, owner_email, persona, phone, region, status, title, updated_at"
    )


def test_an_unknown_operator_is_refused_naming_workflow_and_row():
    message = refusal(workflow({"field": "status", "operator": "is_not_empty"},
                               {"field": "status", "operator": "is", "value": "Open"}))

    assert message.startswith(
        "workflows[0].criteria[1].operator = is is not allowed (workflow 'Exit disqualified'): one of 'equals', "
    )


def test_a_move_without_a_target_cadence_is_refused():
    assert refusal(workflow(action="move_to_cadence")) == (
        "workflows[0].target_cadence = None is not allowed (workflow 'Exit disqualified'): "
        "the name of the cadence to move to: move_to_cadence needs one"
    )


@pytest.mark.parametrize("action", ["exit_cadence", "next_touch"])
def test_a_target_cadence_for_an_action_that_moves_nowhere_is_refused(action):
    assert refusal(workflow(action=action, target_cadence="Executive")) == (
        "workflows[0].target_cadence = Executive is not allowed (workflow 'Exit disqualified'): "
        f"nothing: only move_to_cadence has a target, and this workflow's action is {action}"
    )


def test_an_unknown_action_is_refused():
    assert refusal(workflow(action="pause_cadence")) == (
        "workflows[0].action = pause_cadence is not allowed (workflow 'Exit disqualified'): "
        "one of 'exit_cadence', 'move_to_cadence' or 'next_touch'"
    )


@pytest.mark.parametrize("operator", ["is_empty", "is_not_empty"])
def test_an_emptiness_test_with_a_value_is_refused(operator):
    assert refusal(workflow({"field": "phone", "operator": operator, "value": "x"})) == (
        "workflows[0].criteria[0].value = x is not allowed (workflow 'Exit disqualified'): "
        f"no value: {operator} looks at the field alone"
    )


@pytest.mark.parametrize("value", [None, [], "Open"])
def test_in_list_without_a_non_empty_list_is_refused(value):
    assert refusal(workflow({"field": "status", "operator": "in_list", "value": value})).endswith(
        "is not allowed (workflow 'Exit disqualified'): a non-empty list of values for in_list"
    )


@pytest.mark.parametrize("operator", ["greater_than", "less_than"])
def test_ordering_a_text_field_is_refused(operator):
    assert refusal(workflow({"field": "title", "operator": operator, "value": "M"})) == (
        f"workflows[0].criteria[0].operator = {operator} is not allowed (workflow 'Exit disqualified'): "
        f"an operator for a string field: {operator} compares numbers, dates and datetimes only"
    )


def test_ordering_a_number_by_something_that_is_not_a_number_is_refused():
    assert refusal(workflow({"field": "lead_score", "operator": "greater_than", "value": "high"})) == (
        "workflows[0].criteria[0].value = high is not allowed (workflow 'Exit disqualified'): "
        "a number, as lead_score is a number field"
    )


def test_ordering_a_datetime_by_something_that_is_not_a_date_is_refused():
    assert refusal(workflow({"field": "last_activity_at", "operator": "less_than", "value": "last week"})) == (
        "workflows[0].criteria[0].value = 'last week' is not allowed (workflow 'Exit disqualified'): "
        "a date and time such as 2024-05-01T09:00:00+00:00, as last_activity_at is a datetime field"
    )


def test_numbers_and_datetimes_order_by_values_of_their_type():
    settings = validated(TenantSettings, {"workflows": [workflow(
        {"field": "lead_score", "operator": "greater_than", "value": 80},
        {"field": "last_activity_at", "operator": "less_than", "value": "2024-05-01T00:00:00+00:00"},
        {"field": "created_at", "operator": "greater_than", "value": "2024-01-01"},
    )]})

    assert [c.value for c in settings.workflows[0].criteria] == [80.0, "2024-05-01T00:00:00+00:00", "2024-01-01"]


def test_a_text_operator_on_a_number_field_is_refused():
    assert refusal(workflow({"field": "lead_score", "operator": "contains", "value": "8"})) == (
        "workflows[0].criteria[0].operator = contains is not allowed (workflow 'Exit disqualified'): "
        "an operator for a number field: contains is for text"
    )


def test_an_equality_on_a_switch_takes_true_or_false():
    assert refusal(workflow({"field": "opted_out", "operator": "equals", "value": "maybe"})) == (
        "workflows[0].criteria[0].value = maybe is not allowed (workflow 'Exit disqualified'): "
        "true or false, as opted_out is a boolean field"
    )


def test_a_number_compared_with_a_text_field_is_refused_as_it_would_never_match():
    assert refusal(workflow({"field": "phone", "operator": "equals", "value": 5551234})) == (
        "workflows[0].criteria[0].value = 5551234.0 is not allowed (workflow 'Exit disqualified'): "
        "text, as phone is text (quote numbers in YAML)"
    )


def test_a_list_item_that_does_not_fit_the_fields_type_is_refused():
    assert refusal(workflow({"field": "lead_score", "operator": "in_list", "value": ["10", "twenty"]})) == (
        "workflows[0].criteria[0].value = twenty is not allowed (workflow 'Exit disqualified'): "
        "a number, as lead_score is a number field"
    )


def test_a_comparison_without_a_value_is_refused():
    assert refusal(workflow({"field": "status", "operator": "not_equals"})) == (
        "workflows[0].criteria[0].value = None is not allowed (workflow 'Exit disqualified'): "
        "a single value to compare with for not_equals"
    )


def test_a_workflow_without_criteria_is_refused():
    assert refusal({**workflow(), "criteria": []}) == (
        "workflows[0].criteria = '0 rows' is not allowed (workflow 'Exit disqualified'): from 1 to 20 criteria rows"
    )


def test_twenty_criteria_rows_are_allowed_and_twenty_one_are_not():
    row = {"field": "status", "operator": "is_not_empty"}
    assert len(validated(Workflow, workflow(*[row] * 20)).criteria) == 20

    assert refusal(workflow(*[row] * 21)).endswith("from 1 to 20 criteria rows")


def test_a_combinator_is_all_or_any():
    assert validated(Workflow, workflow(combinator="any")).combinator == "any"
    assert refusal(workflow(combinator="most")).endswith("one of 'all' or 'any'")


def test_a_record_type_is_lead_or_contact():
    assert refusal(workflow(record_type="Account")).endswith("one of 'Lead' or 'Contact'")


def test_two_workflows_of_one_name_are_refused():
    assert refusal(workflow(), workflow()) == (
        "workflows[1].name = 'Exit disqualified' is not allowed (workflow 'Exit disqualified'): "
        "a name no other workflow has; workflows[0] has it"
    )


def test_every_bad_workflow_is_reported_at_once():
    message = refusal(
        workflow({"field": "job_title", "operator": "equals", "value": "x"}, name="One"),
        workflow({"field": "lead_score", "operator": "less_than", "value": "low"}, name="Two"),
    )

    assert [line.split(" = ")[0] for line in message.splitlines()] == [
        "workflows[0].criteria[0].field", "workflows[1].criteria[0].value",
    ]


def test_yaml_values_are_kept_as_plain_text_and_numbers():
    from datetime import date

    criterion = validated(Criterion, {"field": "created_at", "operator": "in_list", "value": [date(2024, 5, 1), True, 3]})

    assert criterion.value == ["2024-05-01", "true", "3"]
