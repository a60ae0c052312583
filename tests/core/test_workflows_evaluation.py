"""W1, W3, W4: which changed records meet which workflows, on a hand-built set of changes."""

import pandas as pd
import pytest

from crm_pipelines.core.workflows import MATCH_COLUMNS, evaluate_workflows, workflow_reason
from crm_pipelines.settings import SettingsError
from tests.core.workflow_fixtures import FIELDS, workflow

CHANGES = pd.DataFrame({
    "prospect_id": ["p1", "p2", "p3", "p4", None],
    "record_type": ["Lead", "Lead", "Contact", "Contact", "Lead"],
    "change_key": ["00Q1@t1", "00Q2@t1", "0031@t1", "0032@t1", "00Q9@t1"],
    "status": ["Disqualified", "Working", "Disqualified", None, "Disqualified"],
    "title": ["VP Sales", "Analyst", "VP Finance", "CTO", "VP"],
    "lead_score": [80.0, 90.0, 20.0, None, 99.0],
})

DISQUALIFIED = {"field": "status", "operator": "equals", "value": "Disqualified"}
VP = {"field": "title", "operator": "contains", "value": "VP"}
HOT = {"field": "lead_score", "operator": "greater_than", "value": 70}


def matched(*workflows) -> list[tuple[str, str]]:
    found = evaluate_workflows(CHANGES, list(workflows), FIELDS)
    return list(zip(found["prospect_id"], found["workflow"], strict=True))


def test_all_needs_every_criterion():
    assert matched(workflow("hot vp", criteria=[VP, HOT], combinator="all")) == [("p1", "hot vp")]


def test_any_needs_one_criterion():
    assert matched(workflow("hot or dq", criteria=[DISQUALIFIED, HOT], combinator="any")) == [
        ("p1", "hot or dq"), ("p2", "hot or dq"),
    ]


def test_a_lead_workflow_never_fires_for_a_contact():
    assert matched(workflow("dq leads", "Lead", [DISQUALIFIED])) == [("p1", "dq leads")]


def test_a_contact_workflow_never_fires_for_a_lead():
    assert matched(workflow("dq contacts", "Contact", [DISQUALIFIED])) == [("p3", "dq contacts")]


def test_a_record_without_a_prospect_matches_nothing():
    assert [p for p, _ in matched(workflow("vp", criteria=[VP]))] == ["p1"]


def test_every_workflow_a_record_meets_is_reported_in_change_then_configured_order():
    assert matched(
        workflow("hot", criteria=[HOT], action="next_touch"),
        workflow("dq", criteria=[DISQUALIFIED]),
        workflow("vp contact", "Contact", [VP], action="move_to_cadence", target_cadence="Executive"),
    ) == [("p1", "hot"), ("p1", "dq"), ("p2", "hot"), ("p3", "vp contact")]


def test_a_match_carries_the_change_the_action_and_the_workflows_position():
    found = evaluate_workflows(CHANGES, [
        workflow("dq", criteria=[DISQUALIFIED]),
        workflow("vp contact", "Contact", [VP], action="move_to_cadence", target_cadence="Executive"),
    ], FIELDS)
    assert list(found.columns) == list(MATCH_COLUMNS)
    assert found.loc[1].to_dict() == {
        "prospect_id": "p3", "change_key": "0031@t1", "workflow": "vp contact", "action": "move_to_cadence",
        "target_cadence": "Executive", "workflow_position": 1,
        "reason": "workflow 'vp contact': title contains 'VP'",
    }
    assert pd.isna(found.loc[0, "target_cadence"])


def test_no_workflows_match_nothing_and_keep_the_columns():
    found = evaluate_workflows(CHANGES, [], FIELDS)
    assert found.empty and list(found.columns) == list(MATCH_COLUMNS)


def test_the_reason_names_the_workflow_and_its_criteria_in_words():
    rule = workflow("Cold or lost", criteria=[
        {"field": "lead_score", "operator": "less_than", "value": 10},
        {"field": "status", "operator": "in_list", "value": ["Lost", "Disqualified"]},
        {"field": "email", "operator": "is_empty"},
    ], combinator="any")
    assert workflow_reason(rule) == (
        "workflow 'Cold or lost': lead_score is less than 10 or status is in list ('Lost', 'Disqualified') "
        "or email is empty"
    )


def test_a_workflow_on_an_unknown_field_is_refused_with_the_reason():
    refusal = r"workflows\[0\]\.criteria\[0\]\.field = Stage is not allowed \(workflow 'w'\)"
    with pytest.raises(SettingsError, match=refusal):
        evaluate_workflows(CHANGES, [workflow(criteria=[{"field": "Stage", "operator": "equals", "value": "x"}])],
                           FIELDS)


def test_a_criterion_on_a_field_the_changes_lack_names_the_workflow_and_field():
    with pytest.raises(KeyError, match="workflow 'cities' names the field 'city'"):
        evaluate_workflows(CHANGES, [workflow("cities", criteria=[{"field": "city", "operator": "is_empty"}])],
                           FIELDS)
