"""Applying CRM → app change rows to an app table (F4, F5, F6).

Applying is a pure function of the table and the rows: each named field is set to the row's new
value, records the rows name but the table lacks are created, and `updated_at` becomes the later
of its own value and the change's time. So applying the same rows twice changes nothing the
second time, and a half-applied batch can simply be applied again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.changes import CRM_TO_APP
from crm_pipelines.core.field_sync.values import decode, storage, storage_dtype
from crm_pipelines.core.matching.frames import utc_aware, utc_naive
from crm_pipelines.core.matching.lookup import positions, shared_codes


def apply_changes(
    table: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    object: str,
    id_column: str,
    new_row_defaults: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """`table` with the crm_to_app changes of `object` applied. New records get `new_row_defaults`
    and `created_at` = their earliest change time. When one field of one record has several
    changes, the latest (by `at`) wins. A row with no field and reason deleted_in_crm removes
    its record."""
    rows = changes.loc[(changes["object"] == object).to_numpy(dtype=bool)
                       & (changes["direction"] == CRM_TO_APP).to_numpy(dtype=bool)]
    whole = rows["field"].isna().to_numpy(dtype=bool)
    removed = rows.loc[whole & (rows["reason"] == "deleted_in_crm").fillna(False).to_numpy(dtype=bool), "app_id"]
    rows = rows.loc[~whole]
    if not removed.empty:
        table = table.loc[positions(table[id_column], removed) < 0].reset_index(drop=True)
        rows = rows.loc[positions(rows["app_id"], removed) < 0]
    if rows.empty:
        return table
    unknown = sorted(set(rows["field"].dropna().unique()) - set(table.columns))
    if unknown:
        raise ValueError(f"changes to {object} name field(s) the {object} table lacks: {', '.join(map(str, unknown))}")
    if rows.duplicated(["app_id", "field"]).any():
        rows = rows.sort_values("at", kind="stable", na_position="first")
        rows = rows.drop_duplicates(["app_id", "field"], keep="last")
    rows = rows.reset_index(drop=True)

    table = table.copy(deep=False)
    at = positions(rows["app_id"], table[id_column])
    if (at < 0).any():
        table, at = _with_new_records(table, rows, at, id_column, new_row_defaults or {})
    for (field, field_type), group in rows.groupby(["field", "field_type"], sort=True).indices.items():
        values = storage(decode(rows["new_value"].iloc[group], field_type), field_type)
        column = table[field]
        if str(column.dtype) != storage_dtype(field_type):
            column = column.astype(storage_dtype(field_type))
        column = column.copy()
        column.iloc[at[group]] = values.array
        table[field] = column
    return _touch(table, at, rows["at"])


def _with_new_records(
    table: pd.DataFrame, rows: pd.DataFrame, at: np.ndarray, id_column: str, defaults: Mapping[str, Any]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The table with a row appended for each app id the rows name but the table lacks, and the
    rows' positions in it."""
    missing = np.flatnonzero(at < 0)
    named = rows["app_id"].iloc[missing].reset_index(drop=True)
    (codes,), distinct = shared_codes(named)
    first = np.unique(codes, return_index=True)[1]  # codes number ids by first appearance
    new_ids = named.iloc[first].reset_index(drop=True)
    first_at = pd.Series(utc_naive(rows["at"].iloc[missing])).groupby(codes).min().sort_index()
    new = {}
    for column in table.columns:
        dtype = _nullable(table[column].dtype)
        if column == id_column:
            new[column] = new_ids.astype(dtype)
        elif column in defaults:
            new[column] = pd.Series([defaults[column]] * len(new_ids), dtype=dtype)
        elif column == "created_at":
            new[column] = utc_aware(first_at.to_numpy()).astype(dtype)
        else:
            new[column] = pd.Series(index=range(len(new_ids)), dtype=dtype)
    widened = table.astype({c: _nullable(table[c].dtype) for c in table.columns})
    at = at.copy()
    at[missing] = len(table) + codes
    return pd.concat([widened, pd.DataFrame(new)], ignore_index=True), at


def _touch(table: pd.DataFrame, at: np.ndarray, stamps: pd.Series) -> pd.DataFrame:
    """updated_at = the later of its own value and the record's latest change."""
    if "updated_at" not in table.columns:
        return table
    stamped = utc_naive(stamps)
    known = ~np.isnat(stamped)
    if not known.any():
        return table
    latest = pd.Series(stamped[known]).groupby(at[known]).max()
    rows = latest.index.to_numpy()
    updated = table["updated_at"].astype("datetime64[us, UTC]").copy()
    current = utc_naive(updated.iloc[rows])
    proposed = latest.to_numpy()
    later = np.isnat(current) | (proposed > current)
    updated.iloc[rows[later]] = utc_aware(proposed[later]).array
    table["updated_at"] = updated
    return table


def _nullable(dtype: Any) -> Any:
    """A dtype that can hold NA: numpy bools and ints become their masked counterparts."""
    if dtype == np.dtype(bool):
        return "boolean"
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return "Int64"
    return dtype
