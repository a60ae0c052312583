"""W1–W4: cadence workflows, and the checks that refuse a bad one when it is configured."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained
from crm_pipelines.settings.errors import SettingProblem, bad_setting
from crm_pipelines.settings.fields import ORDERED_TYPES, FieldType

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "is_empty",
    "is_not_empty",
    "greater_than",
    "less_than",
    "in_list",
]
RecordType = Literal["Lead", "Contact"]
Combinator = Literal["all", "any"]
Action = Literal["exit_cadence", "move_to_cadence", "next_touch"]

VALUELESS_OPERATORS: frozenset[Operator] = frozenset({"is_empty", "is_not_empty"})
TEXT_OPERATORS: frozenset[Operator] = frozenset({"contains", "not_contains", "starts_with"})
ORDER_OPERATORS: frozenset[Operator] = frozenset({"greater_than", "less_than"})

MAX_CRITERIA = 20

_VALUE_SHAPES = "text, a number, a list of texts, or nothing"


def _plain_item(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return str(value)
    raise bad_setting("", value, _VALUE_SHAPES)


def _plain_value(value: Any) -> Any:
    """Values as a YAML file or a CLI gives them, made into text, numbers or lists of text.

    YAML reads `true`, `2024-05-01` and `100` as a bool, a date and an int; a criterion compares
    them with the record's values later, so they are kept in one plain form.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise bad_setting("", value, _VALUE_SHAPES)
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain_item(item) for item in value]
    return _plain_item(value)


CriterionValue = Annotated[str | float | list[str] | None, BeforeValidator(_plain_value)]

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    explained("text of 1 to 200 characters"),
]


class Criterion(SettingsModel):
    """One row of a workflow: a prospect field, an operator and the value it is compared with."""

    field: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), explained("a prospect field name")]
    operator: Operator
    value: CriterionValue = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Criterion:
        operator, value = self.operator, self.value
        if operator in VALUELESS_OPERATORS:
            if value is not None:
                raise bad_setting("value", value, f"no value: {operator} looks at the field alone")
        elif operator == "in_list":
            if not isinstance(value, list) or not value:
                raise bad_setting("value", value, "a non-empty list of values for in_list")
        elif value is None or isinstance(value, list):
            raise bad_setting("value", value, f"a single value to compare with for {operator}")
        elif operator in TEXT_OPERATORS and (not isinstance(value, str) or not value):
            raise bad_setting("value", value, f"non-empty text for {operator} (quote numbers in YAML)")
        return self


class Workflow(SettingsModel):
    """W1: when a changed Lead or Contact meets the criteria, act on its prospect's cadence."""

    name: Name
    record_type: RecordType
    criteria: tuple[Criterion, ...]
    combinator: Combinator = "all"
    action: Action
    target_cadence: Name | None = None

    @field_validator("criteria", mode="before")
    @classmethod
    def _between_one_and_twenty_rows(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str) and not 1 <= len(value) <= MAX_CRITERIA:
            raise bad_setting("", f"{len(value)} rows", f"from 1 to {MAX_CRITERIA} criteria rows")
        return value

    @model_validator(mode="after")
    def _target_fits_action(self) -> Workflow:
        if self.action == "move_to_cadence" and self.target_cadence is None:
            raise bad_setting("target_cadence", None, "the name of the cadence to move to: move_to_cadence needs one")
        if self.action != "move_to_cadence" and self.target_cadence is not None:
            raise bad_setting(
                "target_cadence",
                self.target_cadence,
                f"nothing: only move_to_cadence has a target, and this workflow's action is {self.action}",
            )
        return self


def _parses_as(field_type: FieldType, text: str) -> bool:
    parse = {
        "number": float,
        "date": date.fromisoformat,
        "datetime": datetime.fromisoformat,
        "boolean": lambda t: {"true": True, "false": False}[t.strip().lower()],
    }.get(field_type)
    if parse is None:
        return True
    try:
        number = parse(text)
    except (ValueError, KeyError):
        return False
    return not (field_type == "number" and not math.isfinite(number))


_TYPE_WORDING: Mapping[FieldType, str] = {
    "number": "a number",
    "date": "a date such as 2024-05-01",
    "datetime": "a date and time such as 2024-05-01T09:00:00+00:00",
    "boolean": "true or false",
    "string": "text",
}


def _criterion_problems(row: str, criterion: Criterion, fields: Mapping[str, FieldType]) -> list[SettingProblem]:
    field_type = fields.get(criterion.field)
    if field_type is None:
        return [SettingProblem(f"{row}.field", criterion.field, "a prospect field: " + ", ".join(sorted(fields)))]
    operator, value = criterion.operator, criterion.value
    if operator in ORDER_OPERATORS and field_type not in ORDERED_TYPES:
        return [SettingProblem(
            f"{row}.operator", operator,
            f"an operator for a {field_type} field: {operator} compares numbers, dates and datetimes only",
        )]
    if operator in TEXT_OPERATORS and field_type != "string":
        return [SettingProblem(f"{row}.operator", operator, f"an operator for a {field_type} field: {operator} is for text")]
    values = value if isinstance(value, list) else [] if value is None else [value]
    for item in values:
        if field_type == "string" and not isinstance(item, str):
            return [SettingProblem(f"{row}.value", item, f"text, as {criterion.field} is text (quote numbers in YAML)")]
        if field_type != "string" and not _parses_as(field_type, str(item) if isinstance(item, str) else repr(item)):
            return [SettingProblem(
                f"{row}.value", item, f"{_TYPE_WORDING[field_type]}, as {criterion.field} is a {field_type} field"
            )]
    return []


def workflow_problems(workflows: Sequence[Workflow], fields: Mapping[str, FieldType]) -> list[SettingProblem]:
    """W4 refusals that need the tenant's fields: unknown fields, and operators or values that do not
    fit the field's type. `fields` is every prospect field a criterion may name, with its type."""
    problems: list[SettingProblem] = []
    seen_names: dict[str, int] = {}
    for index, workflow in enumerate(workflows):
        subject = f"workflow {workflow.name!r}"
        if workflow.name in seen_names:
            problems.append(SettingProblem(
                f"workflows[{index}].name", workflow.name,
                f"a name no other workflow has; workflows[{seen_names[workflow.name]}] has it", subject,
            ))
        seen_names.setdefault(workflow.name, index)
        for row, criterion in enumerate(workflow.criteria):
            problems.extend(
                SettingProblem(p.field, p.value, p.allowed, subject)
                for p in _criterion_problems(f"workflows[{index}].criteria[{row}]", criterion, fields)
            )
    return problems

