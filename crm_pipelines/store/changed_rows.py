"""Replacing a tenant's partition by writing only the rows that differ (issue 17).

An asset rebuilt whole every run (matched_prospects: one row per matched prospect, some 167,000
at `medium`) mostly writes what is stored already: after a 1% edit of the CRM, a handful of its
rows change. Deleting the partition and copying every row back costs more than reading it, so
here the stored rows are read (in the frame's typed form), each row of both sides hashed, and
only the rows that are new or differ are written and the rows gone or replaced deleted, by key,
in one transaction. What a reader finds afterwards is what the whole replacement leaves: the same
rows (tables' rows have no order; readers read in key order).

Only for tables keyed (after the tenant) by one column, with no JSON column (its values do not
hash); when more than `WHOLE_REWRITE_SHARE` of the rows change, everything is rewritten, which is
then cheaper than deleting by key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Table

from crm_pipelines.store.bulk import check_columns, insert_frame, read_frame, typed_frame

TENANT_COLUMN = "tenant_id"
# Above this share of changed rows (of the stored or the new ones), deleting and copying the
# whole partition is cheaper than deleting the changed rows by key.
WHOLE_REWRITE_SHARE = 0.5
# Keys per DELETE statement: within every database's limit of bound values.
_KEYS_PER_DELETE = 5_000


def row_key(table: Table) -> str | None:
    """The one column keying a tenant's rows of `table`, or None when rows cannot be written by key."""
    keys = [c.name for c in table.primary_key.columns if c.name != TENANT_COLUMN]
    if len(keys) != 1 or any(isinstance(c.type, JSON) for c in table.columns):
        return None
    return keys[0]


def write_changed_rows(conn: Connection, table: Table, tenant: str, frame: pd.DataFrame, *, context: str = "") -> dict[str, int]:
    """Make `tenant`'s rows of `table` those of `frame`, within the caller's transaction, writing
    only what differs (everything when `frame` lacks a column of the table, or by row_key). Returns
    rows `written` and `deleted` (a whole rewrite deletes and writes every row)."""
    check_columns(frame, table, context=context or f"tenant '{tenant}', table '{table.name}'")
    key = row_key(table)
    names = [c.name for c in table.columns if c.name != TENANT_COLUMN]
    where = table.c[TENANT_COLUMN] == tenant
    if key is None or not set(names) <= set(frame.columns):
        return _rewrite(conn, table, tenant, frame.drop(columns=[TENANT_COLUMN], errors="ignore"), context)
    new = typed_frame(frame[names], table)
    stored = read_frame(conn, table, where, order_by=[key], columns=names)
    if new[key].duplicated().any():
        raise ValueError(f"{context or table.name}: the rows to write repeat {key} values")
    changed, stored_before, gone = _differences(stored, new, key)
    if changed.sum() + len(gone) > WHOLE_REWRITE_SHARE * max(len(stored), len(new), 1):
        return _rewrite(conn, table, tenant, new, context)
    replaced = new.loc[changed & stored_before, key]
    doomed = pd.concat([gone, replaced], ignore_index=True).astype("string").tolist()
    for at in range(0, len(doomed), _KEYS_PER_DELETE):
        conn.execute(table.delete().where(where & table.c[key].in_(doomed[at:at + _KEYS_PER_DELETE])))
    written = insert_frame(conn, table, new.loc[changed].assign(**{TENANT_COLUMN: tenant}),
                           context=context or f"tenant '{tenant}', table '{table.name}'")
    return {"written": written, "deleted": len(doomed)}


def _differences(stored: pd.DataFrame, new: pd.DataFrame, key: str) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(a flag per row of `new`: new or differing from the stored row of its key; a flag per row
    of `new`: its key is stored; the stored keys `new` lacks)."""
    stored_keys, new_keys = pd.Index(stored[key].astype("string")), pd.Index(new[key].astype("string"))
    at = stored_keys.get_indexer(new_keys)
    changed = at < 0
    known = ~changed
    changed[known] = _hashes(new)[known] != _hashes(stored)[at[known]]
    gone = stored[key].loc[new_keys.get_indexer(stored_keys) < 0]  # (get_indexer: Index.isin is far slower on text)
    return changed, known, gone


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy(np.uint64)


def _rewrite(conn: Connection, table: Table, tenant: str, new: pd.DataFrame, context: str) -> dict[str, int]:
    deleted = conn.execute(table.delete().where(table.c[TENANT_COLUMN] == tenant)).rowcount
    written = insert_frame(conn, table, new.assign(**{TENANT_COLUMN: tenant}),
                           context=context or f"tenant '{tenant}', table '{table.name}'")
    return {"written": written, "deleted": int(deleted or 0)}
