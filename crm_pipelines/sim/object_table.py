"""One object's records in an org: a DataFrame plus writes not yet merged into it.

Queries need the whole table as one DataFrame; client writes touch a few rows at a time. Setting a
cell of a million-row Arrow string column copies the column, so writes go to two buffers (new
rows, and field edits by row position) that `frame()` merges in one pass per column when a query
next needs the table. Row positions never change: records are only ever appended, deletes are
soft (IsDeleted), and a purged record (hard-deleted, or emptied from the recycle bin) keeps its
row, unreachable by id and left out of every query, so a query cursor can keep positions across
later writes. The purged rows still hold their Id and deletion stamp: they are the delete log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.sim.ids import to_18
from crm_pipelines.sim.schema import FieldSpec, SObjectSchema
from crm_pipelines.sim.wire import NUMBER_TYPES

STRING_DTYPE = pd.StringDtype()


def column_dtype(spec: FieldSpec) -> Any:
    """The dtype a generated table uses for a field of this type."""
    if spec.sf_type == "boolean":
        return np.dtype(bool)
    if spec.sf_type in NUMBER_TYPES:
        return np.dtype("float64")
    if spec.sf_type == "datetime":
        return pd.DatetimeTZDtype("ns", "UTC")
    if spec.sf_type == "date":
        return np.dtype("datetime64[ns]")
    return STRING_DTYPE


def empty_frame(schema: SObjectSchema) -> pd.DataFrame:
    return pd.DataFrame({f.name: pd.Series([], dtype=column_dtype(f)) for f in schema.fields})


def python_value(spec: FieldSpec, value: Any) -> Any:
    """A cell as a plain Python value: str, bool, float, Timestamp (UTC or naive date) or None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if spec.sf_type == "boolean":
        return bool(value)
    if spec.sf_type in NUMBER_TYPES:
        number = float(value)
        return None if np.isnan(number) else number
    if spec.sf_type == "datetime":
        ts = pd.Timestamp(value)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if spec.sf_type == "date":
        ts = pd.Timestamp(value)
        return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts).normalize()
    if isinstance(value, float) and np.isnan(value):
        return None
    return str(value)


class ObjectTable:
    """The records of one object in one org (callers hold the org's lock)."""

    def __init__(self, schema: SObjectSchema, frame: pd.DataFrame | None = None) -> None:
        self.schema = schema
        base = empty_frame(schema) if frame is None else frame
        missing = [name for name in schema.field_names() if name not in base.columns]
        if missing:
            raise ValueError(f"table for {schema.name} lacks columns {missing}")
        self._frame = base[schema.field_names()].reset_index(drop=True)
        # The frame's columns by name: a write reads a few cells of many records, and looking a
        # column up in the frame costs more than reading its cell. Cleared whenever the frame changes.
        self._columns: dict[str, pd.Series] = {}
        self._appended: list[dict[str, Any]] = []
        self._edits: dict[int, dict[str, Any]] = {}
        self._ids: dict[str, int] | None = None
        self._unique: dict[str, dict[str, list[int]]] = {}
        self._purged: set[int] = set()
        # Counts writes, so that work derived from the records (a prefetched page) can tell it
        # is stale.
        self.version = 0

    def __len__(self) -> int:
        return len(self._frame) + len(self._appended)

    # -- reading ----------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """Every record, with all buffered writes merged in."""
        if self._appended:
            self._merge_appended()
        if self._edits:
            self._merge_edits()
        return self._frame

    def position_of(self, record_id: str) -> int | None:
        """Row position of a record by its 15- or 18-character id, or None."""
        if len(record_id) == 15:
            try:
                record_id = to_18(record_id)
            except ValueError:
                return None
        return self._id_index().get(record_id)

    def is_purged(self, position: int) -> bool:
        return position in self._purged

    def present(self) -> np.ndarray:
        """One flag per row of `frame()`: False for purged records."""
        mask = np.ones(len(self), dtype=bool)
        if self._purged:
            mask[np.fromiter(self._purged, dtype=np.int64)] = False
        return mask

    def value(self, position: int, name: str) -> Any:
        spec = self.schema.field(name)
        edits = self._edits.get(position)
        if edits is not None and spec.name in edits:
            return edits[spec.name]
        if position >= len(self._frame):
            return self._appended[position - len(self._frame)][spec.name]
        return python_value(spec, self._column(spec.name).iat[position])

    def row(self, position: int) -> dict[str, Any]:
        """All fields of one record as plain Python values."""
        if not 0 <= position < len(self):
            raise IndexError(f"{self.schema.name} has no row {position}")
        if position >= len(self._frame):
            return dict(self._appended[position - len(self._frame)])
        values = {spec.name: python_value(spec, self._column(spec.name).iat[position])
                  for spec in self.schema.fields}
        values.update(self._edits.get(position, {}))
        return values

    def find_unique(self, name: str, value: str) -> list[int]:
        """Positions of every record (deleted ones too) whose `name` equals `value`, ignoring case."""
        spec = self.schema.field(name)
        index = self._unique_index(spec.name)
        return list(index.get(value.lower(), ()))

    def positions_where_in(self, name: str, values: Iterable[str]) -> np.ndarray:
        frame = self.frame()
        wanted = list(values)
        if not wanted:
            return np.empty(0, dtype=np.int64)
        hits = frame[self.schema.field(name).name].isin(wanted).to_numpy(dtype=bool, na_value=False)
        return np.flatnonzero(hits & self.present())

    def max_system_modstamp(self) -> pd.Timestamp | None:
        frame = self.frame()
        if frame.empty:
            return None
        latest = frame["SystemModstamp"].max()
        return None if pd.isna(latest) else pd.Timestamp(latest)

    # -- writing ----------------------------------------------------------------------------
    def insert(self, values: Mapping[str, Any]) -> int:
        """Append a record; `values` must hold every field (plain Python values)."""
        row = {spec.name: values.get(spec.name) for spec in self.schema.fields}
        self.version += 1
        position = len(self)
        self._appended.append(row)
        if self._ids is not None:
            self._ids[row["Id"]] = position
        for name, index in self._unique.items():
            if row[name] is not None:
                index.setdefault(str(row[name]).lower(), []).append(position)
        return position

    def update(self, position: int, values: Mapping[str, Any]) -> None:
        """Set fields of one record (canonical field names, plain Python values)."""
        self.version += 1
        for name in values:
            if name in self._unique:
                self._reindex_unique(name, position, values[name])
        if position >= len(self._frame):
            self._appended[position - len(self._frame)].update(values)
        else:
            self._edits.setdefault(position, {}).update(values)

    def purge(self, position: int) -> None:
        """Remove a deleted record for good: no longer found by id, unique value or query."""
        self.version += 1
        record_id = self.value(position, "Id")
        self._id_index().pop(record_id, None)
        for name, index in self._unique.items():
            old = self.value(position, name)
            self._remove_from(index, str(old).lower() if old is not None else None, position)
        self._purged.add(position)

    # -- internals ----------------------------------------------------------------------------
    def _column(self, name: str) -> pd.Series:
        column = self._columns.get(name)
        if column is None:
            column = self._columns[name] = self._frame[name]
        return column

    def _id_index(self) -> dict[str, int]:
        if self._ids is None:
            ids = self._frame["Id"].to_numpy(dtype=object, na_value="").tolist()
            index = dict(zip(ids, range(len(ids)), strict=True))
            for offset, row in enumerate(self._appended):
                index[row["Id"]] = len(ids) + offset
            for position in self._purged:
                index.pop(self.value(position, "Id"), None)
            self._ids = index
        return self._ids

    def _unique_index(self, name: str) -> dict[str, list[int]]:
        if name not in self._unique:
            index: dict[str, list[int]] = {}
            column = self._frame[name].str.lower().to_numpy(dtype=object, na_value=None)
            for position in np.flatnonzero(pd.notna(column)):
                index.setdefault(column[position], []).append(int(position))
            for position, edits in self._edits.items():
                if name in edits:
                    self._remove_from(index, column[position], position)
                    if edits[name] is not None:
                        index.setdefault(str(edits[name]).lower(), []).append(position)
            for offset, row in enumerate(self._appended):
                if row[name] is not None:
                    index.setdefault(str(row[name]).lower(), []).append(len(self._frame) + offset)
            for position in self._purged:
                value = self.value(position, name)
                self._remove_from(index, str(value).lower() if value is not None else None, position)
            self._unique[name] = index
        return self._unique[name]

    @staticmethod
    def _remove_from(index: dict[str, list[int]], key: str | None, position: int) -> None:
        if key is None or key not in index:
            return
        positions = [p for p in index[key] if p != position]
        if positions:
            index[key] = positions
        else:
            del index[key]

    def _reindex_unique(self, name: str, position: int, new_value: Any) -> None:
        index = self._unique[name]
        old = self.value(position, name)
        self._remove_from(index, str(old).lower() if old is not None else None, position)
        if new_value is not None:
            index.setdefault(str(new_value).lower(), []).append(position)

    def _merge_appended(self) -> None:
        rows, self._appended = self._appended, []
        self._columns = {}
        chunk = pd.DataFrame({
            name: pd.Series([row[name] for row in rows], dtype=self._frame[name].dtype)
            for name in self._frame.columns
        })
        start = len(self._frame)
        self._frame = pd.concat([self._frame, chunk], ignore_index=True) if start else chunk
        assert len(self._frame) == start + len(rows)

    def _merge_edits(self) -> None:
        edits, self._edits = self._edits, {}
        self._columns = {}
        by_column: dict[str, tuple[list[int], list[Any]]] = {}
        for position, values in edits.items():
            for name, value in values.items():
                positions, new_values = by_column.setdefault(name, ([], []))
                positions.append(position)
                new_values.append(value)
        for name, (positions, new_values) in by_column.items():
            column = self._frame.columns.get_loc(name)
            dtype = self._frame.dtypes.iloc[column]
            self._frame.iloc[np.asarray(positions), column] = pd.Series(new_values, dtype=dtype).array
