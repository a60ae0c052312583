"""F8: the connector log's rows, built from any change frame.

Only the columns named here are ever copied: a log row cannot carry anything else (tokens,
credentials, whole payloads), whatever frame it is built from. The tenant and run are the
caller's to add; they are the same for every row of one call.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_pipelines.core.json_objects import json_objects, json_strings

LOG_COLUMNS = (
    "at", "object", "app_id", "crm_type", "crm_id", "field", "crm_field",
    "old_value", "new_value", "direction", "reason",
)

_SOURCE_COLUMNS = tuple(c for c in LOG_COLUMNS if c != "at")
CREATED_IN_CRM = "created_in_crm"
# What makes one created record's values one log row.
_CREATED_RECORD = ("object", "app_id", "crm_type", "crm_id", "direction")


def connector_log_rows(changes: pd.DataFrame, *, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """One log row per change: LOG_COLUMNS, all text but `at` (UTC). `at` is when the change was
    applied; without it, each row keeps the time its winning side changed. A record created from
    the CRM is one row (reason created_in_crm, no field, its values as a JSON object of app field
    to value in `new_value`) where its first value was, as a CRM's own field history logs one
    "Created" entry: a first connection creates a record for each of up to millions of CRM records."""
    missing = [c for c in _SOURCE_COLUMNS if c not in changes.columns]
    if missing:
        raise ValueError(f"connector log rows need the change column(s) {', '.join(missing)}")
    rows = pd.DataFrame({c: changes[c].astype("string").reset_index(drop=True) for c in _SOURCE_COLUMNS})
    if at is not None:
        stamps = pd.Series(pd.Timestamp(at).tz_convert("UTC"), index=rows.index)
    elif "at" in changes.columns:
        stamps = changes["at"].reset_index(drop=True)
    else:
        stamps = pd.Series(pd.NaT, index=rows.index)
    rows.insert(0, "at", pd.to_datetime(stamps, utc=True).astype("datetime64[us, UTC]"))
    return _one_row_per_creation(rows[list(LOG_COLUMNS)])


def _one_row_per_creation(rows: pd.DataFrame) -> pd.DataFrame:
    created = (rows["reason"] == CREATED_IN_CRM).fillna(False).to_numpy(dtype=bool)
    if not created.any():
        return rows
    made = rows.loc[created]
    record = made.groupby(list(_CREATED_RECORD), sort=False, dropna=False).ngroup().to_numpy()
    first = made.loc[~pd.Series(record, index=made.index).duplicated()].copy()
    first["field"] = first["crm_field"] = first["old_value"] = pd.NA
    first["new_value"] = _values_as_json(record, made["field"], made["new_value"])
    return pd.concat([rows.loc[~created], first]).sort_index(kind="stable").reset_index(drop=True)


def _values_as_json(record: np.ndarray, fields: pd.Series, values: pd.Series) -> pd.arrays.ArrowStringArray:
    """Per record (its code in `record`, 0..n-1), json.dumps(ensure_ascii=False) of the dict of its
    fields to their values, built a column at a time: one Python call per record was most of the
    log's cost when a first connection creates a million prospects."""
    objects = json_objects(record, fields, json_strings(values))
    if objects is None:
        return _values_as_json_one_by_one(record, fields, values)  # a dict's own rule: first place, last value
    return pd.arrays.ArrowStringArray(pa.chunked_array(objects))


def _values_as_json_one_by_one(record: np.ndarray, fields: pd.Series, values: pd.Series) -> pd.arrays.ArrowStringArray:
    as_dicts: list[dict[str, str | None]] = [{} for _ in range(int(record.max()) + 1)]
    for group, field, value in zip(record, fields.tolist(), values.tolist()):
        as_dicts[group][field] = None if value is pd.NA else value
    return pd.array([json.dumps(v, ensure_ascii=False) for v in as_dicts], dtype="string").astype("string[pyarrow]")


def log_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Counts by object, direction and reason, for asset metadata."""
    counts = rows.groupby(["object", "direction", "reason"], dropna=False).size()
    return counts.rename("changes").reset_index().sort_values(["object", "direction", "reason"], ignore_index=True)
