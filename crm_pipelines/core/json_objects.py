"""JSON objects built a column at a time (Arrow's string kernels, no Python call per value): one
object per record from rows of (record, key, value). What one json.dumps(dict, ensure_ascii=False)
per record gave, where a first connection builds one for each of up to millions of records."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.emails import arrow_text


def json_strings(values: pd.Series) -> pa.Array:
    """Each text as its JSON string (json.dumps, ensure_ascii=False); null as `null`."""
    text = arrow_text(values.reset_index(drop=True)).combine_chunks()
    plain = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    quoted = pc.binary_join_element_wise(_text('"'), plain, _text('"'), _text(""))
    controls = np.flatnonzero(pc.fill_null(pc.match_substring_regex(text, "[\\x00-\\x1f]"), False)
                              .to_numpy(zero_copy_only=False))
    if len(controls):  # newlines, tabs and the like: escaped as json escapes them
        patched = quoted.to_pylist()
        for at in controls:
            patched[at] = json.dumps(text[int(at)].as_py(), ensure_ascii=False)
        quoted = pa.array(patched, pa.large_string())
    return pc.fill_null(quoted, _text("null"))


def json_objects(record: np.ndarray, keys: pd.Series, *values: pa.Array) -> list[pa.Array] | None:
    """Per record (its code in `record`, 0..n-1, each used), the JSON object of its keys (texts) to
    its values, one object per array of `values` (each value already JSON text, as json_strings
    gives), in the rows' order; None when a key is missing or repeats within a record, whose rule
    (first place, last value) is a dict's."""
    codes, names = pd.factorize(keys, use_na_sentinel=True)
    records = int(record.max()) + 1
    if (codes < 0).any() or _repeats(record.astype(np.int64) * len(names) + codes, len(names) * records):
        return None
    key_text = pa.array([json.dumps(str(name), ensure_ascii=False) for name in names], pa.large_string()).take(codes)
    order = pa.array(np.argsort(record, kind="stable"))
    offsets = pa.array(np.concatenate([[0], np.cumsum(np.bincount(record, minlength=records))]), pa.int64())
    key_text = key_text.take(order)
    objects = []
    for value_text in values:
        pairs = pc.binary_join_element_wise(key_text, value_text.cast(pa.large_string()).take(order), _text(": "))
        joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, pairs), _text(", "))
        objects.append(pc.binary_join_element_wise(_text("{"), joined, _text("}"), _text("")))
    return objects


def _repeats(pairs: np.ndarray, span: int) -> bool:
    """Whether a value of `pairs` (each in 0..span-1) repeats: counted when the span is a few
    times the values, else sorted."""
    if span <= 4 * len(pairs):
        return bool((np.bincount(pairs, minlength=span) > 1).any())
    ordered = np.sort(pairs)
    return bool((ordered[1:] == ordered[:-1]).any())


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())
