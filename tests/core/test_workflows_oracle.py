"""Vectorized evaluation agrees with a plain row-by-row reading of W2's documented rules."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipelines.core.workflows import evaluate_workflows
from crm_pipelines.settings import Workflow
from tests.core.workflow_fixtures import FIELDS

# Values in the data: a pool per field with the awkward cases, so random rows meet random criteria.
DATA: dict[str, list[Any]] = {
    "title": ["VP Sales", " vp sales ", "SVP", "Director", "", "  ", None, "Disqualified", "disqualified\t",
              "Élodie", "élodie", "a.*b", "vp"],
    "lead_score": [np.nan, 0.0, 1.5, 42.0, -3.0, 1e6],
    "employees_text": ["42", " 42 ", "4.2e1", "abc", "", None, "-3", "1,000", 42, 7.5, True, "inf", ".5"],
    "last_activity_at": [None, "2024-05-01T00:00:00Z", " 2024-05-01 ", "soon", "2024-05-01T09:30:00+02:00",
                         "2023-12-31T23:59:59.5Z", "2024-06-01T12:00:00Z"],
    "renewal_date": [None, "2024-12-31", "2025-01-01", "2024-05-01"],
    "opted_out": [True, False, None],
    "partner": ["true", " FALSE ", "yes", "", None],
}

# Values in criteria, as the settings hold them.
CRITERION_VALUES: dict[str, list[Any]] = {
    "string": ["vp", "VP Sales", "Dis", "élo", "a.*", " sales", "", "director"],
    "number": [0.0, 1.5, 42.0, -3.0, "42", "0.5", 1e6],
    "datetime": ["2024-05-01", "2024-05-01T07:30:00", "2024-05-01T00:00:00+00:00", "2024-01-01T00:00:00-05:00"],
    "date": ["2024-12-31", "2025-01-01", "2020-02-29"],
    "boolean": ["true", "false", "TRUE"],
}

OPERATORS: dict[str, list[str]] = {
    "string": ["equals", "not_equals", "contains", "not_contains", "starts_with", "is_empty", "is_not_empty",
               "in_list"],
    "number": ["equals", "not_equals", "is_empty", "is_not_empty", "greater_than", "less_than", "in_list"],
    "boolean": ["equals", "not_equals", "is_empty", "is_not_empty", "in_list"],
}
OPERATORS["date"] = OPERATORS["datetime"] = OPERATORS["number"]

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def is_empty(value: Any) -> bool:
    return _missing(value) or (isinstance(value, str) and value.strip() == "")


def text(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def read(value: Any, field_type: str) -> float | None:
    """The value as a comparable number, or None where it cannot be read as the field's type."""
    if _missing(value):
        return None
    if field_type == "boolean":
        if isinstance(value, bool):
            return float(value)
        word = value.strip().lower() if isinstance(value, str) else None
        return {"true": 1.0, "false": 0.0}.get(word)
    if field_type == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            if not NUMBER.fullmatch(value.strip()):
                return None
            value = float(value.strip())
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        moment = value.to_pydatetime()
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if field_type == "date":
        return float((moment.date() - date(1970, 1, 1)).days)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()


def holds(value: Any, field_type: str, operator: str, wanted: Any) -> bool:
    if operator == "is_empty":
        return is_empty(value)
    if operator == "is_not_empty":
        return not is_empty(value)
    if operator.startswith("not_"):
        return not holds(value, field_type, operator.removeprefix("not_"), wanted)
    if operator == "in_list":
        return any(holds(value, field_type, "equals", item) for item in wanted)
    if field_type == "string":
        have, wanted = text(value), text(wanted)
        return {"equals": have == wanted, "contains": wanted in have, "starts_with": have.startswith(wanted)}[operator]
    have = read(value, field_type)
    bound = read(wanted, field_type) if isinstance(wanted, str) else float(wanted)
    if have is None:
        return False
    return {"equals": have == bound, "greater_than": have > bound, "less_than": have < bound}[operator]


def oracle(rows: list[dict[str, Any]], workflows: list[Workflow]) -> list[tuple[str, str]]:
    found = []
    for row in rows:
        for rule in workflows:
            if row["prospect_id"] is None or row["record_type"] != rule.record_type:
                continue
            met = [holds(row[c.field], FIELDS[c.field], c.operator, c.value) for c in rule.criteria]
            if all(met) if rule.combinator == "all" else any(met):
                found.append((row["prospect_id"], rule.name))
    return found


def as_changes(rows: list[dict[str, Any]], title_dtype: Any, datetimes_as_text: bool) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["prospect_id", "record_type", "change_key", *DATA])
    activity = frame["last_activity_at"].astype("str")
    return frame.assign(
        title=frame["title"].astype(title_dtype),
        lead_score=frame["lead_score"].astype("float64"),
        employees_text=frame["employees_text"].astype(object),
        last_activity_at=activity if datetimes_as_text
        else pd.to_datetime(activity, utc=True, format="ISO8601", errors="coerce"),
        renewal_date=pd.to_datetime(frame["renewal_date"]).astype("datetime64[us]"),
        opted_out=frame["opted_out"].astype("boolean"),
        partner=frame["partner"].astype("str"),
    )


@st.composite
def criteria(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(DATA)))
    field_type = FIELDS[field]
    operator = draw(st.sampled_from(OPERATORS[field_type]))
    pool = CRITERION_VALUES[field_type]
    if operator in ("contains", "not_contains", "starts_with"):
        pool = [value for value in pool if value]
    if operator in ("is_empty", "is_not_empty"):
        value = None
    elif operator == "in_list":
        value = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    else:
        value = draw(st.sampled_from(pool))
    return {"field": field, "operator": operator, "value": value}


@st.composite
def workflow_lists(draw: st.DrawFn) -> list[Workflow]:
    count = draw(st.integers(1, 4))
    return [
        Workflow(name=f"w{i}", record_type=draw(st.sampled_from(["Lead", "Contact"])),
                 criteria=draw(st.lists(criteria(), min_size=1, max_size=3)),
                 combinator=draw(st.sampled_from(["all", "any"])), action="next_touch")
        for i in range(count)
    ]


@st.composite
def change_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 12))
    return [
        {
            "prospect_id": None if draw(st.integers(0, 9)) == 0 else f"p{i}",
            "record_type": draw(st.sampled_from(["Lead", "Contact"])),
            "change_key": f"k{i}",
            **{field: draw(st.sampled_from(pool)) for field, pool in DATA.items()},
        }
        for i in range(count)
    ]


@settings(max_examples=150, deadline=None)
@given(rows=change_rows(), workflows=workflow_lists(), title_dtype=st.sampled_from(["str", object]),
       datetimes_as_text=st.booleans())
def test_evaluation_equals_a_row_by_row_reading_of_the_rules(rows, workflows, title_dtype, datetimes_as_text):
    changes = as_changes(rows, title_dtype, datetimes_as_text)
    changes.index = changes.index * 7 + 3  # as a slice of a larger frame would have it
    typed_rows = changes.astype(object).where(changes.notna(), None).to_dict("records")
    found = evaluate_workflows(changes, workflows, FIELDS)
    assert list(zip(found["prospect_id"], found["workflow"], strict=True)) == oracle(typed_rows, workflows)
