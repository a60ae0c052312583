"""CRM ids as dense integer codes, so that rules and priorities run on numpy arrays.

Millions of (user, record) pairs are cheap as int64 and expensive as 18-character strings; ids are
turned into codes once on the way in and back into strings once on the way out. Codes follow
the ids' sorted order, so ordering by code is ordering by CRM id (the last tie-break of L5).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.auto_save.frames import TEXT


def arrow_text(values: pd.Series | pd.Index | pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """Any column of ids or text as one Arrow large_string array (nulls kept); large_string is
    what pandas' pyarrow strings hold, so their columns need no conversion."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    if not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    return values


def text_series(values: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas "string[pyarrow]" column, without copying."""
    return pd.Series(pd.arrays.ArrowStringArray(values), dtype=TEXT)


class IdCodes:
    """A sorted set of distinct ids; code i stands for the i-th id."""

    def __init__(self, ids: pa.Array) -> None:
        self._ids = ids

    @classmethod
    def of(cls, *columns: pd.Series | pd.Index | pa.Array) -> IdCodes:
        """The distinct non-null ids found in any of `columns`."""
        parts = [arrow_text(c) for c in columns]
        merged = pa.concat_arrays(parts) if parts else pa.array([], pa.large_string())
        distinct = pc.unique(merged.drop_null())
        return cls(distinct.take(pc.sort_indices(distinct)))

    @classmethod
    def encode(cls, *columns: pd.Series | pd.Index | pa.Array) -> tuple[IdCodes, list[np.ndarray]]:
        """The distinct non-null ids of `columns`, and each column's values as codes (-1 for null),
        in one hashing pass instead of one to build the set and one more per column to look up."""
        parts = [arrow_text(c) for c in columns]
        encoded = pc.dictionary_encode(pa.concat_arrays(parts) if parts else pa.array([], pa.large_string()))
        order = pc.sort_indices(encoded.dictionary)
        code_of_entry = np.empty(len(order), np.int64)
        code_of_entry[order.to_numpy()] = np.arange(len(order), dtype=np.int64)
        entries = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        codes = np.where(entries >= 0, code_of_entry[np.maximum(entries, 0)], -1)
        bounds = np.cumsum([0, *(len(p) for p in parts)])
        return cls(encoded.dictionary.take(order)), [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> pa.Array:
        return self._ids

    def codes(self, values: pd.Series | pd.Index | pa.Array | Iterable[str | None]) -> np.ndarray:
        """The code of each value; -1 for a null or an id not in the set."""
        found = pc.index_in(arrow_text(values), value_set=self._ids)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def codes_of_each(self, *columns: pd.Series | pd.Index | pa.Array) -> list[np.ndarray]:
        """`codes` of several columns, with the set hashed once for all of them."""
        parts = [arrow_text(c) for c in columns]
        codes = self.codes(pa.concat_arrays(parts) if parts else pa.array([], pa.large_string()))
        bounds = np.cumsum([0, *(len(p) for p in parts)])
        return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def take(self, codes: np.ndarray) -> pa.Array:
        """The ids of `codes`; a code of -1 gives null."""
        codes = np.asarray(codes, dtype=np.int64)
        indices = pa.array(codes, mask=codes < 0)
        return self._ids.take(indices)

    def extended(self, more: pa.Array) -> IdCodes:
        """This set with `more` (ids not in it) coded after the existing ids, whose codes stay valid."""
        return IdCodes(pa.concat_arrays([self._ids, more.cast(pa.large_string())]))
