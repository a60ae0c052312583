"""W2: each operator as a boolean mask over one field's prepared values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.workflows.field_values import FieldValues, mask_of, ordered_key, text_key
from crm_pipelines.settings.workflows import Criterion

OPERATOR_WORDS: dict[str, str] = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
    "greater_than": "is greater than",
    "less_than": "is less than",
    "in_list": "is in list",
}


def criterion_mask(values: FieldValues, criterion: Criterion) -> np.ndarray:
    """Where `criterion` holds. Negations are plain negations, so they hold for empty values."""
    operator = criterion.operator
    if operator == "is_empty":
        return values.empty
    if operator == "is_not_empty":
        return ~values.empty
    if operator == "not_equals":
        return ~_equals(values, criterion.value)
    if operator == "not_contains":
        return ~_text_mask(values, pc.match_substring, criterion.value)
    if operator == "equals":
        return _equals(values, criterion.value)
    if operator == "contains":
        return _text_mask(values, pc.match_substring, criterion.value)
    if operator == "starts_with":
        return _text_mask(values, pc.starts_with, criterion.value)
    if operator == "in_list":
        return _in_list(values, criterion.value)
    if operator in ("greater_than", "less_than"):
        key, known = _ordered(values, criterion)
        bound = ordered_key(criterion.value, values.field_type)
        # unknown rows hold a placeholder key, so they are masked out after comparing
        return known & (key > bound if operator == "greater_than" else key < bound)
    raise ValueError(f"unknown operator {operator!r} on field {criterion.field!r}")


def _equals(values: FieldValues, value: object) -> np.ndarray:
    if values.text is not None:
        return mask_of(pc.equal(values.text, text_key(value)))
    key, known = values.key, values.known
    assert key is not None and known is not None
    return known & (key == ordered_key(value, values.field_type))


def _in_list(values: FieldValues, items: object) -> np.ndarray:
    assert isinstance(items, list)
    if values.text is not None:
        wanted = pa.array([text_key(item) for item in items], type=values.text.type)
        return mask_of(pc.is_in(values.text, value_set=wanted))
    key, known = values.key, values.known
    assert key is not None and known is not None
    return known & np.isin(key, np.array([ordered_key(item, values.field_type) for item in items], dtype=key.dtype))


def _text_mask(values: FieldValues, test: Callable[..., pa.ChunkedArray], value: object) -> np.ndarray:
    if values.text is None:
        raise ValueError(f"a text operator on a {values.field_type} field")
    return mask_of(test(values.text, text_key(value)))


def _ordered(values: FieldValues, criterion: Criterion) -> tuple[np.ndarray, np.ndarray]:
    if values.key is None or values.known is None or values.field_type == "boolean":
        raise ValueError(
            f"{criterion.operator} on {criterion.field!r}, a {values.field_type} field: "
            "only numbers, dates and datetimes are ordered"
        )
    return values.key, values.known
