"""Joins on integer codes: planning pairs a million matches with memberships, and joining the
text ids themselves would copy every text column several times over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def shared_codes(*columns: pd.Series) -> tuple[list[np.ndarray], pd.Index]:
    """The columns' values as codes into one shared list of distinct values; -1 for missing."""
    joined = pd.concat([column.reset_index(drop=True) for column in columns], ignore_index=True)
    codes, uniques = pd.factorize(joined)
    bounds = np.cumsum([len(column) for column in columns])[:-1]
    return np.split(codes, bounds), pd.Index(uniques)


def codes_in(values: pd.Series, uniques: pd.Index) -> np.ndarray:
    """Each value's position in `uniques` (distinct values), -1 where absent."""
    # hashed by pyarrow in C: pandas' own lookups on Arrow-backed text go through Python objects
    found = pc.index_in(_text(values), value_set=_text(uniques))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _text(values: pd.Series | pd.Index) -> pa.Array:
    return pa.array(pd.Series(values).astype("str"), type=pa.large_string(), from_pandas=True)


def one_to_many(left: np.ndarray, right: np.ndarray, distinct: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) with left[i] == right[j], codes below `distinct`; -1 joins nothing.
    Pairs are ordered by i, then j."""
    order = np.argsort(right, kind="stable")
    counts = np.bincount(right[right >= 0], minlength=distinct)
    starts = np.cumsum(counts) - counts + np.count_nonzero(right < 0)  # the -1s sort first
    per_left = np.where(left >= 0, counts[np.maximum(left, 0)], 0)
    left_rows = np.repeat(np.arange(len(left)), per_left)
    offsets = np.arange(len(left_rows)) - np.repeat(np.cumsum(per_left) - per_left, per_left)
    return left_rows, order[starts[left[left_rows]] + offsets]
