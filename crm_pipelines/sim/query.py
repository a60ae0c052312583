"""Which rows of an object's table a parsed SOQL query returns, in order, computed on whole columns.

Semantics follow Salesforce rather than SQL:
- text compares case-insensitively (=, !=, <, >, IN, LIKE and ORDER BY alike); ids compare exactly,
  so `Id > '<last id>'` cursors agree with `ORDER BY Id`;
- `field != value` and `NOT IN` also return rows where the field is null, while <, <=, >, >= and =
  never match a null; on a boolean field `= null` means false and `!= null` means true;
- soft-deleted rows (IsDeleted) are left out unless the caller serves queryAll;
- ORDER BY defaults to NULLS FIRST ascending and NULLS LAST descending; equal keys keep row
  order.
Tables hold the columns of `schema`: strings as pandas string dtype, datetimes as
datetime64[ns, UTC], dates as midnight datetime64[ns], numbers as float64, booleans as bool.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.sim import schema
from crm_pipelines.sim.soql import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    And,
    Comparison,
    Condition,
    InList,
    Like,
    Not,
    Or,
    Query,
    Value,
)

_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def select_rows(query: Query, table: pd.DataFrame, *, include_deleted: bool,
                present: np.ndarray | None = None) -> np.ndarray:
    """Positions (iloc) of the rows `query` returns from `table`, ordered, cut by OFFSET/LIMIT.
    `present` flags the rows that still exist (purged records are in no query, not even queryAll)."""
    columns = _Columns(query.sobject, table)
    if include_deleted:
        mask = np.ones(len(table), dtype=bool)
    else:
        mask = ~columns.booleans("IsDeleted")
    if present is not None:
        mask = mask & present
    if query.where is not None:
        mask = mask & _condition_mask(query.where, columns)
    positions = np.flatnonzero(mask)
    if query.order_by:
        positions = _ordered(positions, query.order_by, columns)
    start = query.offset or 0
    stop = None if query.limit is None else start + query.limit
    return positions[start:stop]


class _Columns:
    """One table's columns in the forms the masks need, each built at most once per query."""

    def __init__(self, sobject: str, table: pd.DataFrame) -> None:
        self.sobject = schema.sobject(sobject)
        self.table = table
        self._lowered: dict[str, pd.Series] = {}

    def sf_type(self, field: str) -> str:
        return self.sobject.field(field).sf_type

    def series(self, field: str) -> pd.Series:
        try:
            return self.table[field]
        except KeyError:
            raise KeyError(
                f"the {self.sobject.name} table has no column {field!r} that the query filters or "
                "sorts on"
            ) from None

    def lowered(self, field: str) -> pd.Series:
        if field not in self._lowered:
            self._lowered[field] = self.series(field).str.lower()
        return self._lowered[field]

    def numbers(self, field: str) -> np.ndarray:
        return self.series(field).to_numpy(dtype=np.float64, na_value=np.nan)

    def booleans(self, field: str) -> np.ndarray:
        return self.series(field).to_numpy(dtype=bool, na_value=False)

    def nulls(self, field: str) -> np.ndarray:
        if self.sf_type(field) == "boolean":
            # Salesforce: on a boolean field, null matches false.
            return ~self.booleans(field)
        return self.series(field).isna().to_numpy()

    def comparable(self, field: str) -> tuple[Any, Callable[[Value], Any]]:
        """The column as compared with literals, and how to bring a literal to the same form."""
        sf_type = self.sf_type(field)
        if sf_type in TEXT_TYPES:
            return self.lowered(field), lambda v: str(v).lower()
        if sf_type in NUMBER_TYPES:
            return self.numbers(field), float
        if sf_type == "boolean":
            return self.booleans(field), bool
        if sf_type in ("datetime", "date"):
            return self.series(field), pd.Timestamp
        if sf_type in ID_TYPES:
            return self.series(field), str
        raise ValueError(
            f"field {self.sobject.name}.{field} has type {sf_type}, which SOQL here cannot compare"
        )

    def sort_key(self, field: str, positions: np.ndarray) -> pa.Array | pa.ChunkedArray:
        """The values ORDER BY compares, for the selected rows only; nulls stay null."""
        column = self.series(field)
        if len(positions) < len(self.table):
            column = column.iloc[positions]
        values = pa.array(column, from_pandas=True)
        return pc.utf8_lower(values) if self.sf_type(field) in TEXT_TYPES else values


def _mask(result: Any) -> np.ndarray:
    """A plain bool array from a comparison result; a null result means the row does not match."""
    if isinstance(result, np.ndarray):
        return result.astype(bool, copy=False)
    return result.to_numpy(dtype=bool, na_value=False)


def _condition_mask(node: Condition, columns: _Columns) -> np.ndarray:
    if isinstance(node, And):
        masks = [_condition_mask(c, columns) for c in node.conditions]
        return np.logical_and.reduce(masks)
    if isinstance(node, Or):
        masks = [_condition_mask(c, columns) for c in node.conditions]
        return np.logical_or.reduce(masks)
    if isinstance(node, Not):
        return ~_condition_mask(node.condition, columns)
    if isinstance(node, Comparison):
        return _comparison_mask(node, columns)
    if isinstance(node, InList):
        return _in_mask(node, columns)
    if isinstance(node, Like):
        return _like_mask(node, columns)
    raise TypeError(f"{type(node).__name__} is not a SOQL condition")


def _comparison_mask(node: Comparison, columns: _Columns) -> np.ndarray:
    if node.value is None:
        if node.op == "=":
            return columns.nulls(node.field)
        if node.op == "!=":
            return ~columns.nulls(node.field)
        return np.zeros(len(columns.table), dtype=bool)
    column, convert = columns.comparable(node.field)
    value = convert(node.value)
    if node.op == "!=":
        # Not "column != value": a null field is unequal to every value and so is returned.
        return ~_mask(column == value)
    return _mask(_ORDERINGS[node.op](column, value))


def _in_mask(node: InList, columns: _Columns) -> np.ndarray:
    column, convert = columns.comparable(node.field)
    wanted = [convert(v) for v in node.values if v is not None]
    if isinstance(column, np.ndarray):
        mask = np.isin(column, wanted)
    else:
        mask = _mask(column.isin(wanted))
    if any(v is None for v in node.values):
        mask = mask | columns.nulls(node.field)
    return ~mask if node.negated else mask


def _like_mask(node: Like, columns: _Columns) -> np.ndarray:
    values = pa.array(columns.series(node.field), from_pandas=True)
    matched = pc.match_like(values, node.pattern, ignore_case=True)
    return pc.fill_null(matched, False).to_numpy(zero_copy_only=False)


def _ordered(
    positions: np.ndarray, order_by: tuple[tuple[str, bool, str], ...], columns: _Columns
) -> np.ndarray:
    """`positions` sorted by the ORDER BY items; Arrow's sort is stable, so ties keep row order."""
    keys: dict[str, Any] = {}
    sort_keys: list[tuple[str, str]] = []
    for i, (field, ascending, nulls) in enumerate(order_by):
        values = columns.sort_key(field, positions)
        # A null-flag key ahead of each value key places nulls per item, which Arrow's own
        # null_placement (one setting for all keys) cannot do.
        keys[f"nulls{i}"] = pc.is_valid(values) if nulls == "first" else pc.is_null(values)
        keys[f"values{i}"] = values
        sort_keys.append((f"nulls{i}", "ascending"))
        sort_keys.append((f"values{i}", "ascending" if ascending else "descending"))
    order = pc.sort_indices(pa.table(keys), sort_keys=sort_keys)
    return positions[order.to_numpy()]
