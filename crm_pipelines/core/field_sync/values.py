"""Field values of one type, compared, written down as text, and read back (F2, F8).

Both sides of a mapping are brought to one canonical form before comparing, so that `42` and
`42.0`, or a CRM checkbox and the app's flag, are the same value:

- string: pandas "string"; an empty string is no value (NA). Text is compared exactly as stored.
- number: float64, NaN for no value.
- boolean: pandas "boolean".
- date: naive datetime64[us] at midnight.
- datetime: naive datetime64[us] in UTC.

Change rows carry values as text (`encode`), so one column can hold every field's values and be
stored, logged and shown as is; `decode` reads them back given the field's type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.settings.fields import FieldType

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def canonical(values: pd.Series, field_type: FieldType) -> pd.Series:
    """`values` (any dtype: app column, CRM column, mapped custom field, encoded text) in the
    canonical form of `field_type`, with a fresh RangeIndex."""
    values = values.reset_index(drop=True)
    if field_type == "string":
        text = values.astype("string")
        blank = (text == "").fillna(False).to_numpy(dtype=bool)
        return text.mask(blank) if blank.any() else text
    if field_type == "number":
        numbers = pd.to_numeric(values, errors="coerce")
        return pd.Series(np.asarray(numbers.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)))
    if field_type == "boolean":
        return _booleans(values)
    stamps = _timestamps(values)
    return stamps.dt.normalize() if field_type == "date" else stamps


def same(a: pd.Series, b: pd.Series, field_type: FieldType) -> np.ndarray:
    """Position by position, whether two canonical columns hold the same value (two empties are
    the same)."""
    a_empty, b_empty = empty(a), empty(b)
    if field_type == "string":
        equal = pc.fill_null(pc.equal(_arrow(a), _arrow(b)), False).to_numpy(zero_copy_only=False)
    elif field_type == "boolean":
        equal = (a.array == b.array).fillna(False).to_numpy(dtype=bool)
    else:
        equal = a.to_numpy() == b.to_numpy()
    return np.asarray(equal, dtype=bool) | (a_empty & b_empty)


def empty(values: pd.Series) -> np.ndarray:
    """Whether each canonical value is empty (no value)."""
    return values.isna().to_numpy(dtype=bool)


def encode(values: pd.Series, field_type: FieldType) -> pd.Series:
    """Canonical values as text: numbers in shortest round-trip form (`42`, `0.1`), booleans as
    `true`/`false`, dates as `YYYY-MM-DD`, datetimes as ISO 8601 in UTC with a `Z`; NA stays NA."""
    if field_type == "string":
        return values.astype("string")
    if field_type == "number":
        text = pc.cast(pa.array(values.to_numpy(dtype="float64"), from_pandas=True), pa.string())
    elif field_type == "boolean":
        flags = values.astype("boolean")
        text = pa.array(np.where(flags.fillna(False).to_numpy(dtype=bool), "true", "false"), pa.string())
        text = pc.if_else(pa.array(flags.isna().to_numpy()), pa.scalar(None, pa.string()), text)
    else:
        stamps = pa.array(values.to_numpy(dtype="datetime64[us]"), pa.timestamp("us"), from_pandas=True)
        text = pc.strftime(stamps, "%Y-%m-%d" if field_type == "date" else "%Y-%m-%dT%H:%M:%SZ")
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([text]).cast(pa.large_string())), dtype="string")


def decode(text: pd.Series, field_type: FieldType) -> pd.Series:
    """Text written by `encode` back to canonical values."""
    return canonical(text.astype("string"), field_type)


def storage(values: pd.Series, field_type: FieldType) -> pd.Series:
    """Canonical values in the dtype an app table column of `field_type` holds (datetimes UTC-aware)."""
    if field_type == "datetime":
        return values.dt.tz_localize("UTC")
    if field_type == "date":
        return values.astype("datetime64[us]")
    return values


def storage_dtype(field_type: FieldType) -> str:
    return {
        "string": "string", "number": "float64", "boolean": "boolean",
        "date": "datetime64[us]", "datetime": "datetime64[us, UTC]",
    }[field_type]


def _booleans(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype) or isinstance(values.dtype, pd.BooleanDtype):
        return values.astype("boolean")
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        text = values.astype("string").str.strip().str.lower()
        out = pd.Series(pd.NA, index=values.index, dtype="boolean")
        out = out.mask(text.isin(_TRUE).fillna(False), True)
        out = out.mask(text.isin(_FALSE).fillna(False), False)
        # Real booleans in an object column (mapped custom checkboxes) read as "True"/"False".
        return out
    return (pd.to_numeric(values, errors="coerce") != 0).astype("boolean").mask(values.isna())


def _timestamps(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[us]")
    stamps = pd.to_datetime(values.astype("string"), errors="coerce", utc=True, format="ISO8601")
    return stamps.dt.tz_localize(None).astype("datetime64[us]")


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    array = pa.array(values.array, from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
