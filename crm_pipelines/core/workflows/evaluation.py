"""W1–W3: which changed Leads and Contacts meet which workflows' criteria."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crm_pipelines.core.workflows.field_values import FieldValues, field_values
from crm_pipelines.core.workflows.operators import OPERATOR_WORDS, criterion_mask
from crm_pipelines.settings.errors import SettingsError
from crm_pipelines.settings.fields import FieldType
from crm_pipelines.settings.workflows import Criterion, Workflow, workflow_problems

CHANGE_COLUMNS = ("prospect_id", "record_type", "change_key")

MATCH_COLUMNS = ("prospect_id", "change_key", "workflow", "action", "target_cadence", "workflow_position", "reason")
"""One row per (changed record, workflow it meets): `workflow_position` is the workflow's place in
the configured order (0 first), `reason` says why in words, for the connector log. The columns
that come from the workflows (workflow, action, target_cadence, reason) are categorical."""


def evaluate_workflows(
    changes: pd.DataFrame, workflows: Sequence[Workflow], field_types: Mapping[str, FieldType]
) -> pd.DataFrame:
    """The workflows each changed record meets, ordered by change (row order) then by workflow.

    `changes` has one row per changed Lead or Contact as the app sees it after the sync:
    prospect_id, record_type ("Lead" or "Contact"), change_key (names this change, such as the
    CRM id and SystemModstamp) and a column for every field the criteria name. `field_types` is
    every field a criterion may name with its type (TenantSettings.workflow_fields()). A workflow
    only looks at records of its own record type; rows without a prospect match nothing.
    """
    problems = workflow_problems(workflows, field_types)
    if problems:
        raise SettingsError(problems)
    _require_columns(changes, workflows)
    has_prospect = changes["prospect_id"].notna().to_numpy(dtype=bool)
    of_type = {
        record_type: has_prospect & changes["record_type"].eq(record_type).fillna(False).to_numpy(dtype=bool)
        for record_type in {workflow.record_type for workflow in workflows}
    }
    prepared: dict[str, FieldValues] = {}

    def values_of(criterion: Criterion) -> FieldValues:
        if criterion.field not in prepared:
            prepared[criterion.field] = field_values(changes[criterion.field], field_types[criterion.field])
        return prepared[criterion.field]

    rows: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    for position, workflow in enumerate(workflows):
        eligible = of_type[workflow.record_type]
        if not eligible.any():
            continue
        masks = [criterion_mask(values_of(criterion), criterion) for criterion in workflow.criteria]
        met = np.logical_and.reduce(masks) if workflow.combinator == "all" else np.logical_or.reduce(masks)
        matched = np.flatnonzero(met & eligible)
        rows.append(matched)
        positions.append(np.full(len(matched), position, dtype=np.int64))
    return _matches(changes, workflows, rows, positions)


def workflow_reason(workflow: Workflow) -> str:
    """`workflow 'Disqualified leads': status equals 'Disqualified'`."""
    joiner = " and " if workflow.combinator == "all" else " or "
    return f"workflow {workflow.name!r}: " + joiner.join(_criterion_words(c) for c in workflow.criteria)


def _criterion_words(criterion: Criterion) -> str:
    words = f"{criterion.field} {OPERATOR_WORDS[criterion.operator]}"
    value = criterion.value
    if value is None:
        return words
    if isinstance(value, list):
        return f"{words} ({', '.join(_shown(item) for item in value)})"
    return f"{words} {_shown(value)}"


def _shown(value: str | float) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return repr(value)


def _require_columns(changes: pd.DataFrame, workflows: Sequence[Workflow]) -> None:
    missing = [column for column in CHANGE_COLUMNS if column not in changes.columns]
    if missing:
        raise KeyError(f"the changed records lack the column(s) {', '.join(missing)}")
    for workflow in workflows:
        for criterion in workflow.criteria:
            if criterion.field not in changes.columns:
                raise KeyError(
                    f"workflow {workflow.name!r} names the field {criterion.field!r}, "
                    "which the changed records have no column for"
                )


def _matches(
    changes: pd.DataFrame, workflows: Sequence[Workflow], rows: list[np.ndarray], positions: list[np.ndarray]
) -> pd.DataFrame:
    row = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    position = np.concatenate(positions) if positions else np.empty(0, dtype=np.int64)
    order = np.lexsort((position, row))
    row, position = row[order], position[order]

    def per_workflow(values: Sequence[str | None]) -> pd.Categorical:
        # categorical: a million matches share twenty workflows' texts
        categories = list(dict.fromkeys(value for value in values if value is not None))
        codes = np.array([-1 if value is None else categories.index(value) for value in values], dtype=np.int64)
        return pd.Categorical.from_codes(codes[position], categories=pd.Index(categories, dtype="str"))

    return pd.DataFrame({
        "prospect_id": changes["prospect_id"].iloc[row].reset_index(drop=True),
        "change_key": changes["change_key"].iloc[row].reset_index(drop=True),
        "workflow": per_workflow([w.name for w in workflows]),
        "action": per_workflow([w.action for w in workflows]),
        "target_cadence": per_workflow([w.target_cadence for w in workflows]),
        "workflow_position": position,
        "reason": per_workflow([workflow_reason(w) for w in workflows]),
    }, columns=list(MATCH_COLUMNS))
