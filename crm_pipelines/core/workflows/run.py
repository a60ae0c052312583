"""One evaluation of a tenant's workflows on its changed records, W1–W3 and F8 end to end:
evaluate, drop moves to cadences the app lacks, plan once per change, apply, and the rows to
keep (applied actions) and to log (connector log)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from crm_pipelines.core.workflows.application import apply_cadence_actions
from crm_pipelines.core.workflows.changed_records import workflow_log_rows
from crm_pipelines.core.workflows.evaluation import evaluate_workflows
from crm_pipelines.core.workflows.planning import AppliedSet, plan_cadence_actions
from crm_pipelines.settings.fields import FieldType
from crm_pipelines.settings.workflows import Workflow

APPLIED_COLUMNS = ("membership_id", "change_key", "workflow", "prospect_id", "action")


@dataclass(frozen=True)
class WorkflowRun:
    """memberships: every membership after the actions; applied: APPLIED_COLUMNS, one row per
    membership an action touched (moves' new memberships included), to remember; log_rows: the
    connector-log rows; matches: how many (change, workflow) met; unknown_targets: the cadences
    moves named that the app does not have (those moves are not applied)."""

    memberships: pd.DataFrame
    applied: pd.DataFrame
    log_rows: pd.DataFrame
    matches: int
    unknown_targets: tuple[str, ...]

    @property
    def actions(self) -> pd.DataFrame:
        """One row per action applied: (prospect, change, workflow)."""
        return self.applied.drop_duplicates(["prospect_id", "change_key", "workflow"])


def run_workflows(changes: pd.DataFrame, memberships: pd.DataFrame, cadence_ids: Collection[str],
                  already_applied: AppliedSet, workflows: Sequence[Workflow], field_types: Mapping[str, FieldType],
                  now: pd.Timestamp) -> WorkflowRun:
    matches = evaluate_workflows(changes, workflows, field_types)
    unknown = (matches["action"].eq("move_to_cadence")
               & ~matches["target_cadence"].astype("string").isin(list(cadence_ids))).to_numpy(dtype=bool)
    unknown_targets = tuple(sorted(matches.loc[unknown, "target_cadence"].astype(str).unique()))
    matches = matches.loc[~unknown].reset_index(drop=True)
    applied = apply_cadence_actions(memberships, plan_cadence_actions(matches, memberships, already_applied), now)
    remembered = applied.log.drop_duplicates(["membership_id", "change_key", "workflow"])[list(APPLIED_COLUMNS)]
    return WorkflowRun(memberships=applied.memberships, applied=remembered.astype("string").reset_index(drop=True),
                       log_rows=workflow_log_rows(applied.log, changes, now), matches=len(matches),
                       unknown_targets=unknown_targets)
