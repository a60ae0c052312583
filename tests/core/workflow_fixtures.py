"""Hand-built changed records, memberships and workflows for the cadence workflow tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from crm_pipelines.core.workflows import evaluate_workflows
from crm_pipelines.settings import PROSPECT_FIELDS, Workflow

FIELDS = {**PROSPECT_FIELDS, "employees_text": "number", "renewal_date": "date", "partner": "boolean"}
"""The prospect fields, plus mapped fields of a tenant: a number the CRM keeps as text, a date
and a switch."""

NOW = pd.Timestamp("2024-07-01T12:00:00Z")


def workflow(name: str = "w", record_type: str = "Lead", criteria: Sequence[dict[str, Any]] = (),
             combinator: str = "all", action: str = "exit_cadence", target_cadence: str | None = None) -> Workflow:
    return Workflow(name=name, record_type=record_type, criteria=list(criteria), combinator=combinator,
                    action=action, target_cadence=target_cadence)


def changes_of(field: str, values: Sequence[Any], dtype: Any = None, record_type: str = "Lead") -> pd.DataFrame:
    """One changed record per value, prospects p0, p1, ... in order."""
    return pd.DataFrame({
        "prospect_id": [f"p{i}" for i in range(len(values))],
        "record_type": record_type,
        "change_key": [f"00Q{i}@2024-07-01T10:00:00Z" for i in range(len(values))],
        field: pd.Series(list(values), dtype=dtype),
    })


def matching(field: str, operator: str, value: Any, values: Sequence[Any], dtype: Any = None) -> list[str]:
    """The prospects whose `field` in `values` meets one criterion."""
    rule = workflow(criteria=[{"field": field, "operator": operator, "value": value}])
    return evaluate_workflows(changes_of(field, values, dtype), [rule], FIELDS)["prospect_id"].tolist()


def memberships(*rows: tuple[str, str, str, int, str]) -> pd.DataFrame:
    """(membership_id, prospect_id, cadence_id, current_touch, status) rows."""
    frame = pd.DataFrame(list(rows), columns=["membership_id", "prospect_id", "cadence_id", "current_touch", "status"])
    return frame.assign(
        current_touch=frame["current_touch"].astype("int64"),
        updated_at=pd.Series(pd.Timestamp("2024-06-01T00:00:00Z"), index=frame.index).astype("datetime64[us, UTC]"),
    )
