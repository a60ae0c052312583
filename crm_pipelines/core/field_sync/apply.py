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
from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.core.matching.frames import utc_naive


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
    changes, the latest (by `at`) wins."""
    rows = changes.loc[(changes["object"] == object).to_numpy(dtype=bool)
                       & (changes["direction"] == CRM_TO_APP).to_numpy(dtype=bool)]
    if rows.empty:
        return table
    unknown = sorted(set(rows["field"].dropna().unique()) - set(table.columns))
    if unknown:
        raise ValueError(f"changes to {object} name field(s) the {object} table lacks: {', '.join(map(str, unknown))}")
    if rows.duplicated(["app_id", "field"]).any():
        rows = rows.sort_values("at", kind="stable", na_position="first").drop_duplicates(["app_id", "field"], keep="last")

    table = _with_new_records(table.copy(deep=False), rows, id_column, new_row_defaults or {})
    ids = table[id_column].astype("string")
    for (field, field_type), group in rows.groupby(["field", "field_type"], sort=True):
        values = storage(decode(group["new_value"], field_type), field_type)
        column = table[field]
        if str(column.dtype) != storage_dtype(field_type):
            column = column.astype(storage_dtype(field_type))
        column = column.copy()
        column.iloc[positions(group["app_id"], ids)] = values.array
        table[field] = column
    return _touch(table, ids, rows)


def _with_new_records(table: pd.DataFrame, rows: pd.DataFrame, id_column: str, defaults: Mapping[str, Any]) -> pd.DataFrame:
    named = pd.Series(rows["app_id"].unique(), dtype="string")
    new_ids = named[positions(named, table[id_column]) < 0].reset_index(drop=True)
    if new_ids.empty:
        return table
    first_at = rows.groupby("app_id")["at"].min()
    new = {}
    for column in table.columns:
        dtype = _nullable(table[column].dtype)
        if column == id_column:
            new[column] = new_ids.astype(dtype)
        elif column in defaults:
            new[column] = pd.Series([defaults[column]] * len(new_ids), dtype=dtype)
        elif column == "created_at":
            new[column] = pd.Series(first_at.reindex(new_ids.to_numpy()).to_numpy()).astype(dtype)
        else:
            new[column] = pd.Series(index=range(len(new_ids)), dtype=dtype)
    widened = table.astype({c: _nullable(table[c].dtype) for c in table.columns})
    return pd.concat([widened, pd.DataFrame(new)], ignore_index=True)


def _touch(table: pd.DataFrame, ids: pd.Series, rows: pd.DataFrame) -> pd.DataFrame:
    if "updated_at" not in table.columns:
        return table
    latest = rows.dropna(subset=["at"]).groupby("app_id")["at"].max()
    if latest.empty:
        return table
    at = positions(pd.Series(latest.index, dtype="string"), ids)
    updated = table["updated_at"].astype("datetime64[us, UTC]").copy()
    current = utc_naive(updated.iloc[at])
    proposed = utc_naive(latest)
    later = np.isnat(current) | (proposed > current)
    updated.iloc[at[later]] = latest.iloc[np.flatnonzero(later)].array
    table["updated_at"] = updated
    return table


def _nullable(dtype: Any) -> Any:
    """A dtype that can hold NA: numpy bools and ints become their masked counterparts."""
    if dtype == np.dtype(bool):
        return "boolean"
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return "Int64"
    return dtype
