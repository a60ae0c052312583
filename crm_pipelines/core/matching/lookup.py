"""Finding keys in a column by position, on whole columns at once.

Hashing a million Salesforce ids through a pandas Index costs about twice what one Arrow
dictionary encoding of both columns together does, and every match and sync step looks ids up,
so all of them go through `positions`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MISSING = -1


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """`values` as Arrow text (NA as null), without copying when they already are."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    array = pa.array(values.array, from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def shared_codes(*columns: pd.Series) -> tuple[list[np.ndarray], int]:
    """One integer code per distinct text across all `columns` (-1 for NA), column by column, and
    how many distinct texts there are. Equal texts get equal codes whichever column they are in."""
    arrays = [arrow_strings(c) for c in columns]
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
    (key_codes, value_codes), distinct = shared_codes(keys, values)
    first = np.full(distinct + 1, MISSING, dtype=np.int64)
    present = np.flatnonzero(value_codes >= 0)
    codes, at = np.unique(value_codes[present], return_index=True)
    first[codes] = present[at]
    return first[key_codes]  # key code -1 reads the sentinel slot at the end


def contains(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """Whether each key occurs in `values` (NA never does)."""
    return positions(keys, values) >= 0
