"""The base of the three-way field sync (F3): the value a two-way field of a linked pair last had
on both sides, and the app's own change time of each field.

A base frame has BASE_COLUMNS: object (prospect | campaign), app_id, crm_id, field (the app field)
and value (text, read back with the field's type). A pair is the app record and the CRM record
together: a prospect relinked to another CRM record starts with no base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.lookup import positions

BASE_COLUMNS = ("object", "app_id", "crm_id", "field", "value")
FIELD_CHANGED_AT = "field_changed_at"


def empty_base() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in BASE_COLUMNS})


class BaseLookup:
    """Where each linked pair's base value of a field is, found on whole columns at once.

    A prospect or campaign is linked to one CRM record at most, so each base row is found by its
    app id among the linked pairs' (one hash of the linked ids, probed by every base row), then kept
    only when its CRM id is the pair's too (a relinked pair starts with no base)."""

    def __init__(self, base: pd.DataFrame, app_object: str, app_ids: pd.Series, crm_ids: pd.Series) -> None:
        n = len(app_ids)
        of_object = (base["object"] == app_object).fillna(False).to_numpy(dtype=bool)
        mine = base if of_object.all() else base.loc[of_object]
        self.values = mine["value"].reset_index(drop=True)
        pair = positions(mine["app_id"], app_ids)
        # CRM ids compared as the position of their first occurrence among the linked pairs' ids:
        # integers, so ten million base rows are never gathered as text.
        first_of_crm = positions(crm_ids, crm_ids)
        crm_at = positions(mine["crm_id"], crm_ids)
        found = np.flatnonzero(pair >= 0)
        found = found[crm_at[found] == first_of_crm[pair[found]]]
        codes, fields = pd.factorize(mine["field"])
        self._code_of = {str(f): i for i, f in enumerate(fields)}
        self._codes, self._rows, self._pairs, self._n = codes[found], found, pair[found], n

    def rows(self, field: str) -> np.ndarray:
        """For each linked pair, the position of its base row of `field` in `values`, -1 for none."""
        at = np.full(self._n, -1, dtype=np.int64)
        code = self._code_of.get(field)
        if code is not None:
            hit = self._codes == code
            at[self._pairs[hit]] = self._rows[hit]
        return at


class FieldTimes:
    """When each field of the linked app records last changed in the app: its own time from
    FIELD_CHANGED_AT where the app kept one, else the record's updated_at. Read only when a
    conflict needs it."""

    def __init__(self, app: pd.DataFrame, app_rows: np.ndarray, record_times: np.ndarray) -> None:
        self._app, self._rows, self._record = app, app_rows, record_times
        self._wide: pd.DataFrame | None = None

    def of(self, field: str) -> np.ndarray:
        times = self._record.copy()
        wide = self._by_field()
        if field in wide.columns:
            own = pd.to_datetime(wide[field], utc=True, format="ISO8601").dt.tz_localize(None)
            known = own.notna().to_numpy()
            times[wide.index.to_numpy()[known]] = own.to_numpy(dtype="datetime64[us]")[known]
        return times

    def _by_field(self) -> pd.DataFrame:
        if self._wide is None:
            if FIELD_CHANGED_AT not in self._app.columns:
                self._wide = pd.DataFrame()
            else:
                column = self._app[FIELD_CHANGED_AT].reset_index(drop=True).iloc[self._rows].reset_index(drop=True)
                kept = column.notna().to_numpy()
                self._wide = pd.DataFrame.from_records(column[kept].tolist(), index=np.flatnonzero(kept))
        return self._wide


def already_agreed(synced: pd.DataFrame, inbound: pd.DataFrame) -> pd.DataFrame:
    """The base rows of `synced` for values both sides share already, leaving out those only an
    inbound change (`inbound`, change rows) would make shared: what to store when nothing is applied."""
    if synced.empty or inbound.empty:
        return synced
    keys = ["object", "app_id", "crm_id", "field"]
    brought = inbound[keys].astype("string").drop_duplicates()
    found = synced.astype({k: "string" for k in keys}).merge(brought, on=keys, how="left", indicator=True)
    return synced.loc[(found["_merge"] == "left_only").to_numpy()].reset_index(drop=True)
