"""S4, W1: why a tenant's workflows are not evaluated in a run, if they are not."""

from datetime import UTC, datetime

from crm_pipelines.core.workflows.not_evaluated import why_not_evaluated
from crm_pipelines.settings.sync import SyncSettings
from tests.core.workflow_fixtures import workflow

ON = SyncSettings(updates_with_criteria=True, crm_to_app=True)
SINCE = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
ONE = (workflow(criteria=[{"field": "status", "operator": "equals", "value": "Disqualified"}]),)


def test_workflows_are_evaluated_when_on_configured_and_started():
    assert why_not_evaluated(ON, ONE, SINCE) is None


def test_switched_off_names_every_switch_that_is_off_and_comes_before_anything_else():
    assert why_not_evaluated(SyncSettings(), ONE, SINCE) == (
        "off (S4 sync.updates_with_criteria): changes are not acted on")
    both_off = SyncSettings(updates_with_criteria=False, crm_to_app=False)
    assert why_not_evaluated(both_off, (), None) == (
        "off (S4 sync.updates_with_criteria, sync.crm_to_app): changes are not acted on")


def test_the_first_evaluation_only_sets_the_starting_point():
    assert why_not_evaluated(ON, ONE, None) == "first evaluation: starting point set, workflows act on later changes"
    assert why_not_evaluated(ON, (), None) == "first evaluation: starting point set, workflows act on later changes"


def test_no_workflow_configured():
    assert why_not_evaluated(ON, (), SINCE) == "no workflow configured"
