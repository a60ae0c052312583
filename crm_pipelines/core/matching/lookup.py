"""Finding keys in a column by position, on whole columns at once.

Every match and sync step looks ids or emails up in another column; Arrow's hash kernels do it
in about half the time a pandas Index takes on a million Salesforce ids, so all lookups go
through here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.emails import arrow_text

MISSING = -1


def shared_codes(*columns: pd.Series) -> tuple[list[np.ndarray], int]:
    """One integer code per distinct text across all `columns` (-1 for NA), column by column, and
    how many distinct texts there are. Equal texts get equal codes whichever column they are in."""
    arrays = [arrow_text(c) for c in columns]
    combined = pa.chunked_array([chunk for a in arrays for chunk in a.chunks], type=pa.large_string())
    encoded = pc.dictionary_encode(combined).combine_chunks()
    codes = pc.fill_null(encoded.indices, MISSING).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    out, start = [], 0
    for a in arrays:
        out.append(codes[start:start + len(a)])
        start += len(a)
    return out, len(encoded.dictionary)


def positions(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """For each key, the position of its first occurrence in `values`, or -1 when it is absent or
    NA. NA never matches NA."""
    return text_positions(arrow_text(keys), arrow_text(values))


def text_positions(key_text: pa.ChunkedArray | pa.Array, value_text: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """`positions` on Arrow large_string arrays, null for NA."""
    key_text, value_text = _chunked(key_text), _chunked(value_text)
    if len(key_text) * 8 < len(value_text):
        return _few_keys(key_text, value_text)
    found = pc.index_in(key_text, options=pc.SetLookupOptions(value_text.combine_chunks(), skip_nulls=True))
    return _numpy(found)


def _few_keys(keys: pa.ChunkedArray, values: pa.ChunkedArray) -> np.ndarray:
    """`positions` for a few keys in many values: hashing the few distinct keys and probing the
    values with them is several times cheaper than hashing every value."""
    distinct = pc.unique(keys.combine_chunks()).drop_null()
    hit_of_value = _numpy(pc.index_in(values, options=pc.SetLookupOptions(distinct)))
    rows = np.flatnonzero(hit_of_value >= 0)
    first_row = np.full(len(distinct) + 1, MISSING, dtype=np.int64)
    hit, at = np.unique(hit_of_value[rows], return_index=True)
    first_row[hit] = rows[at]  # rows ascend, so the first index per key is its first occurrence
    key_hit = _numpy(pc.index_in(keys, options=pc.SetLookupOptions(distinct)))
    return first_row[key_hit]  # -1 reads the sentinel slot at the end


def _chunked(array: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array], type=array.type)


def _numpy(indices: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(indices, MISSING).to_numpy().astype(np.int64, copy=False)


def taken(values: pd.Series, at: np.ndarray) -> pd.Series:
    """`values` at positions `at` as text (RangeIndex), NA where the position is -1."""
    text = values.astype("string").reset_index(drop=True)
    if text.empty:
        return pd.Series(pd.NA, index=range(len(at)), dtype="string")
    return text.iloc[np.maximum(at, 0)].reset_index(drop=True).mask(at < 0)


def contains(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """Whether each key occurs in `values` (NA never does)."""
    return positions(keys, values) >= 0
