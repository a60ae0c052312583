"""Email addresses as the matching keys they are (X1, X2): one spelling per address.

People type emails with stray spaces and capitals, and the CRM and the app each keep what was
typed, so both sides are normalized the same way before they are compared. Local parts are
lowercased too: Salesforce itself compares emails case-insensitively, and no mail provider we
match against treats `Ann@` and `ann@` as different people.

The Arrow text conversions below are the ones every key column of matching and field sync goes
through (emails first among them): pandas runs regex matches and string construction from numpy
in Python, row by row, where Arrow's kernels do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# "Obviously invalid": no @, more than one @, whitespace inside, or a domain without a dot,
# with an empty label, or starting or ending with a dot. Anything stricter refuses real addresses.
_PLAUSIBLE_EMAIL = r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$"


def normalize_emails(values: pd.Series) -> pd.Series:
    """Each address stripped and lowercased; empty or obviously invalid values become NA.

    Returns a "string" Series with the same index. Normalizing twice changes nothing.
    """
    # Arrow's kernels, not pandas' .str: pandas runs regex matches in Python, row by row.
    text = pc.utf8_lower(pc.utf8_trim_whitespace(arrow_text(values)))
    plausible = pc.fill_null(pc.match_substring_regex(text, _PLAUSIBLE_EMAIL), False)
    return text_series(pc.if_else(plausible, text, pa.scalar(None, text.type)), values.index)


def arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """`values` as Arrow large_string (NA as null), without copying when they already are."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    array = pa.array(values.array, from_pandas=True)
    array = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return array.cast(pa.large_string())


def text_series(array: pa.ChunkedArray | pa.Array, index: pd.Index | None = None) -> pd.Series:
    """Arrow text as a pandas "string" Series (NA for null)."""
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    return pd.Series(pd.arrays.ArrowStringArray(chunked.cast(pa.large_string())), index=index, dtype="string")


def repeated_text(value: str | None, n: int) -> pd.Series:
    """`value` n times, as a "string" Series."""
    return text_series(pa.repeat(pa.scalar(value, pa.large_string()), n))


def coded_text(codes: np.ndarray, labels: Sequence[str | None]) -> pd.Series:
    """Labels picked by small integer codes (codes index `labels`), as a "string" Series."""
    picked = pa.array(list(labels), pa.large_string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    return text_series(picked)


def mapped_text(values: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Each value replaced by its entry in `mapping` (NA when it has none), distinct values once."""
    encoded = pc.dictionary_encode(arrow_text(values)).combine_chunks()
    labels = [mapping.get(v) for v in encoded.dictionary.to_pylist()]
    return text_series(pa.array(labels, pa.large_string()).take(encoded.indices), values.index)


def as_text(values: object, n: int) -> pd.Series:
    """A scalar (repeated n times), a Series or an array as a "string" Series with a RangeIndex."""
    if values is None or isinstance(values, str):
        return repeated_text(values, n)
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True).astype("string")
    array = np.asarray(values)
    if array.dtype.kind == "U":  # numpy's fixed-width text converts fastest through objects
        array = array.astype(object)
    return text_series(pa.array(array, pa.large_string(), from_pandas=True))


def normalize_email(value: str | None) -> str | None:
    """One address, normalized as `normalize_emails` does (for the CLI and overrides)."""
    out = normalize_emails(pd.Series([value], dtype="string")).iloc[0]
    return None if pd.isna(out) else str(out)
