"""A prospect field's column made comparable once, so every criterion on it is a cheap mask.

Text is trimmed and lower-cased (missing text becomes ""); numbers, dates and datetimes become
numeric keys with a flag saying which rows hold a value of the field's type at all. The same
rules turn a criterion's value into a key (`text_key`, `ordered_key`), so a column and a value
are always compared in the same form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.settings.fields import FieldType

NUMBER_SYNTAX = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""A number written in text: digits, an optional sign, decimal point and exponent. Thousands
separators, currency signs, `inf` and `nan` are not numbers."""

_EPOCH_DAY = date(1970, 1, 1)
_MICROSECONDS_PER_DAY = 86_400_000_000
_UNKNOWN = np.iinfo(np.int64).min
_BOOLEAN_WORDS = {"true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class FieldValues:
    """One field of every changed record, ready to compare.

    `empty`: no value (null, NaN, NaT or blank text). For text fields `text` holds the folded
    text and "" where empty. For other types `key` holds the value as a number (floats for
    numbers, 1.0/0.0 for booleans, days since 1970 for dates, microseconds since 1970 UTC for
    datetimes) and `known` says where it could be read as one.
    """

    field_type: FieldType
    empty: np.ndarray
    text: pa.ChunkedArray | None = None
    key: np.ndarray | None = None
    known: np.ndarray | None = None


def field_values(column: pd.Series, field_type: FieldType) -> FieldValues:
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(column.dtype.categories.dtype)
    if field_type == "string":
        text = folded_text(column)
        return FieldValues(field_type, empty=mask_of(pc.equal(text, "")), text=text)
    empty = _empty(column)
    if field_type == "number":
        key = _numbers(column)
    elif field_type == "boolean":
        key = _booleans(column)
    else:
        key = _instants(column, field_type)
    known = ~np.isnan(key) if key.dtype.kind == "f" else key != _UNKNOWN
    return FieldValues(field_type, empty=empty, key=key, known=known)


def folded_text(column: pd.Series | list[str]) -> pa.ChunkedArray:
    """Text trimmed of surrounding whitespace and lower-cased; missing values become ""."""
    if isinstance(column, pd.Series) and not _holds_only_text(column):
        column = column.map(_as_text, na_action="ignore").astype("str")
    text = pa.chunked_array([pa.array(column, type=pa.large_string(), from_pandas=True)])
    return pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(text)), "")


def text_key(value: Any) -> str:
    """A criterion's value folded exactly as the column is."""
    return str(folded_text([_as_text(value)])[0].as_py())


def ordered_key(value: Any, field_type: FieldType) -> float | int:
    """A criterion's value as the key its field's column uses (see FieldValues). The settings
    checks (W4) guarantee it parses, so a failure here is a workflow that skipped them."""
    text = value.strip() if isinstance(value, str) else value
    if field_type == "number":
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if field_type == "boolean":
        word = text.lower() if isinstance(text, str) else text
        if word not in _BOOLEAN_WORDS:
            raise ValueError(f"{value!r} is neither true nor false")
        return _BOOLEAN_WORDS[word]
    if field_type == "date":
        return (date.fromisoformat(text) - _EPOCH_DAY).days
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return _microseconds_since_epoch(moment)


def _microseconds_since_epoch(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _as_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number kept in a text field reads as it was typed: 42, not 42.0
    return str(value)


def mask_of(result: pa.ChunkedArray) -> np.ndarray:
    """A null-free boolean result of pyarrow compute as a numpy mask."""
    return np.asarray(result.to_numpy(), dtype=bool)


def _holds_only_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype)


def _trimmed_text(column: pd.Series) -> pa.ChunkedArray:
    """Each row's text without surrounding whitespace; null where the row holds no text."""
    if not _holds_only_text(column):
        if pd.api.types.is_object_dtype(column.dtype):
            column = column.where(column.map(lambda v: isinstance(v, str))).astype("str")
        else:
            column = pd.Series(pd.NA, index=column.index, dtype="str")
    text = pa.chunked_array([pa.array(column, type=pa.large_string(), from_pandas=True)])
    return pc.utf8_trim_whitespace(text)


def _empty(column: pd.Series) -> np.ndarray:
    blank = mask_of(pc.fill_null(pc.equal(_trimmed_text(column), ""), False))
    return column.isna().to_numpy(dtype=bool) | blank


def _numbers(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column.dtype):
        return np.full(len(column), np.nan)
    if pd.api.types.is_numeric_dtype(column.dtype):
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = _trimmed_text(column)
        well_formed = pc.fill_null(pc.match_substring_regex(text, NUMBER_SYNTAX), False)
        parsed = pc.cast(pc.if_else(well_formed, text, pa.scalar(None, pa.large_string())), pa.float64())
        numbers = np.asarray(pc.fill_null(parsed, np.nan).to_numpy(), dtype=np.float64)
        if pd.api.types.is_object_dtype(column.dtype):
            stored = column.map(_stored_number).to_numpy(dtype=np.float64)
            numbers = np.where(np.isnan(numbers), stored, numbers)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(numbers), numbers, np.nan)


def _stored_number(value: Any) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return np.nan
    return float(value)


def _booleans(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_object_dtype(column.dtype):
        column = column.map(_boolean_word, na_action="ignore")
    lowered = pc.utf8_lower(_trimmed_text(column))
    flags = pc.if_else(pc.equal(lowered, "true"), 1.0, pc.if_else(pc.equal(lowered, "false"), 0.0, np.nan))
    return np.asarray(pc.fill_null(flags, np.nan).to_numpy(), dtype=np.float64)


def _boolean_word(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return value


def _instants(column: pd.Series, field_type: FieldType) -> np.ndarray:
    """Days (dates) or microseconds (datetimes) since 1970 in UTC; int64 minimum where unknown."""
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        if pd.api.types.is_object_dtype(column.dtype):
            # date and datetime objects read as the ISO text they stand for
            column = column.map(lambda v: v.isoformat() if isinstance(v, date) else v, na_action="ignore")
        column = pd.to_datetime(_trimmed_text(column).to_pandas(), format="ISO8601", utc=True, errors="coerce")
    if getattr(column.dt, "tz", None) is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    micros = column.astype("datetime64[us]").to_numpy().view(np.int64).copy()
    if field_type == "date":
        unknown = micros == _UNKNOWN
        micros //= _MICROSECONDS_PER_DAY
        micros[unknown] = _UNKNOWN
    return micros
