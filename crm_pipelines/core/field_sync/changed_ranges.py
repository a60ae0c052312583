"""Which records the prospect sync must compare again since the last run (issue 17).

The ranged sync (exchange.prospect_ranges) computes each range from: its records (every column),
the narrow `people` rows of those records (crm_people on the whole org: email, deleted flag,
SystemModstamp, where a merge or conversion chain leads), the prospects it holds (every column)
with their matches, the base and the field history of its pairs, and the tenant's settings,
mappings and user matches. Given the same inputs it gives the same rows. Within a range, what a
record and the prospects it holds give depends on those alone and on the records they store (a
prospect's deletion reads its stored record): merges and each record's writer are decided among
the prospects one record holds, and creation (which reads the whole org) is decided apart.

So a record needs comparing again, with every prospect it holds, only when one of those inputs
changed. What the last run saw is kept as `Seen`: a hash of each record's people row
(SystemModstamp moves with every CRM write, the deleted flag and master id with deletes and
merges, and `final` is taken as the id the chain ends on, so a chain crossing ranges that moves
marks the records leading into it) and a hash of each prospect's whole row, its matches and the
record it is held by, all as the last run read them (before it applied anything: what it changed
is compared once more, and finds nothing). The caller adds what the hashes cannot see
(store-side times: rows extracted or base rows stored since the last run, and the prospects the
last run logged or planned something for). A record the last run saw that is gone now makes
everything compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.emails import arrow_text, text_series
from crm_pipelines.core.matching.lookup import positions, text_positions

# Bumped whenever what is hashed or how changes: a run with another version compares everything.
# 2: a prospect's own row is hashed by the store (app_data.read_prospect_hashes).
# 3: ids kept and stored as Arrow text (Arrow IPC), a missing id as null rather than "".
# 4: the record holding each prospect kept as its position among the run's records.
SEEN_VERSION = "4"

_PEOPLE_COLUMNS = ("crm_id", "crm_type", "email", "is_deleted", "last_modified_date", "changed_at", "how", "fate")
_IPC = pa.ipc.IpcWriteOptions(compression="zstd")


@dataclass(frozen=True)
class Seen:
    """What one run compared: each record's id and people hash (key order), each prospect's id,
    hash and the record it was held by (`held_at`: its position in `crm_ids`, -1 for none). Ids
    are Arrow text, never Python strings: at a million prospects, object arrays of them (stored,
    read back and compared) took most of a gigabyte; as Arrow text they take their bytes. Any
    sequence of texts may be given."""

    crm_ids: pa.Array
    crm_hashes: np.ndarray
    prospect_ids: pa.Array
    prospect_hashes: np.ndarray
    held_at: np.ndarray
    # Set for the prospects the run created after it compared (with_created); none by default.
    created: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("crm_ids", "prospect_ids"):
            object.__setattr__(self, name, texts(getattr(self, name)))
        for name in ("crm_hashes", "prospect_hashes"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.uint64))
        object.__setattr__(self, "held_at", np.asarray(self.held_at, dtype=np.int64))
        created = np.zeros(len(self.prospect_ids), dtype=bool) if self.created is None else self.created
        object.__setattr__(self, "created", np.asarray(created, dtype=bool))

    def to_bytes(self) -> bytes:
        records = _ipc(pa.table({"crm_id": self.crm_ids, "hash": self.crm_hashes}))
        prospects = _ipc(pa.table({"prospect_id": self.prospect_ids, "hash": self.prospect_hashes,
                                   "held_at": self.held_at, "created": self.created}))
        return len(records).to_bytes(8, "little") + records + prospects

    @classmethod
    def from_bytes(cls, blob: bytes) -> Seen:
        records, prospects = (pa.ipc.open_stream(stream).read_all() for stream in _streams(blob))
        created = prospects["created"].to_numpy() if "created" in prospects.column_names else None
        return cls(records["crm_id"], records["hash"].to_numpy(), prospects["prospect_id"],
                   prospects["hash"].to_numpy(), prospects["held_at"].to_numpy(), created)

    def created_ids(self) -> pa.Array:
        """The prospects the run created after it compared."""
        return self.prospect_ids.filter(pa.array(self.created))

    @staticmethod
    def created_in(blob: bytes) -> pa.Array:
        """created_ids() of stored marks, read from their prospects alone (a reader that needs
        only these holds neither the records nor a copy of the whole)."""
        prospects = pa.ipc.open_stream(_streams(blob)[1]).read_all()
        if "created" not in prospects.column_names:
            return pa.array([], pa.large_string())
        return texts(prospects["prospect_id"].filter(prospects["created"]))


def _streams(blob: bytes) -> tuple[pa.Buffer, pa.Buffer]:
    """Stored marks' two Arrow IPC streams (records, prospects): the first's length leads."""
    buffer = pa.py_buffer(blob)
    size = int.from_bytes(blob[:8], "little")
    return buffer.slice(8, size), buffer.slice(8 + size)


def texts(values: object) -> pa.Array:
    """Texts (an Arrow array or chunked array, a pandas Series, any sequence; None or NA for a
    missing one) as one Arrow large_string array."""
    if isinstance(values, pd.Series):
        values = arrow_text(values)
    if isinstance(values, pa.ChunkedArray):  # one chunk, as a read stored table's is, is taken as it is
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.large_string())
    return values.cast(pa.large_string())


def ids_at(ids: pa.Array, at: np.ndarray) -> pa.Array:
    """`ids` at each position of `at`, null where it is negative."""
    at = np.asarray(at, dtype=np.int64)
    return ids.take(pa.array(np.clip(at, 0, None), mask=at < 0)) if len(ids) else pa.nulls(len(at), ids.type)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


# Rows hashed at a time: hashing text makes a Python object of every value of a column first.
_HASH_ROWS = 200_000


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One hash per row, of every value: times and numbers as the values they are (never as text,
    which pandas formats to the precision of the whole column), other objects as their text. A
    row's hash is its own values' alone, so the rows are hashed _HASH_ROWS at a time."""
    as_text = {c: "string" for c, dtype in frame.dtypes.items() if dtype == object}
    frame = frame.reset_index(drop=True)
    parts = [pd.util.hash_pandas_object(frame.iloc[start:start + _HASH_ROWS].astype(as_text), index=False)
             .to_numpy(np.uint64) for start in range(0, len(frame), _HASH_ROWS)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def record_hashes(people: pd.DataFrame) -> np.ndarray:
    """One hash per row of crm_people: its own columns, and the id its chain ends on."""
    final_ids = ids_at(texts(people["crm_id"]), people["final"].to_numpy())
    frame = people[list(_PEOPLE_COLUMNS)].reset_index(drop=True)
    return row_hashes(frame.assign(final_id=text_series(final_ids)))


def prospect_hashes(prospects: pd.DataFrame, matched: pd.DataFrame, held_by: pa.Array,
                    *more_matched: pd.DataFrame) -> np.ndarray:
    """One hash per prospect (of its whole row: `prospects`' row_hash column, the store's hash of
    every column), its matches (every column, in any order: the rows of `matched` and of
    `more_matched` alike) and the CRM id it is held by (`held_by`, null for none)."""
    ids = prospects["prospect_id"].reset_index(drop=True)
    matches = np.zeros(len(prospects), dtype=np.uint64)
    for frame in (matched, *more_matched):
        at = positions(frame["prospect_id"], ids)
        np.add.at(matches, at[at >= 0], row_hashes(frame)[at >= 0])
    own = prospects["row_hash"].to_numpy(np.uint64)
    return row_hashes(pd.DataFrame({"own": own, "matches": matches, "held_by": text_series(texts(held_by))}))


def with_created(seen: Seen, prospect_ids: object, created: np.ndarray, created_hashes: np.ndarray,
                 created_held_at: np.ndarray) -> Seen:
    """`seen` (taken before the run applied anything) with the prospects the run then created
    (flagged so: Seen.created), as they were committed: a new prospect's own row, its match and
    the record holding it are what the next run reads, so that run compares it only if one of them
    changed since, not because it is new. `prospect_ids`: every prospect now, in key order;
    `created`: a flag for each, set for those the run created, whose hashes and holders
    (positions in seen.crm_ids) come at those rows of `created_hashes` and `created_held_at`. Any
    other prospect keeps what `seen` holds of it; one neither seen nor created (another writer's,
    meanwhile) is left out, so it is new to the next run, and one seen but gone stays, so the next
    run knows it went."""
    ids = texts(prospect_ids)
    created = np.asarray(created, dtype=bool)
    was = text_positions(ids, seen.prospect_ids)
    kept = created | (was >= 0)
    hashes = np.where(created, np.asarray(created_hashes, dtype=np.uint64), _taken(seen.prospect_hashes, was))
    held = np.where(created, np.asarray(created_held_at, dtype=np.int64), _taken(seen.held_at, was))
    gone = np.ones(len(seen.prospect_ids), dtype=bool)
    gone[was[was >= 0]] = False
    return Seen(seen.crm_ids, seen.crm_hashes,
                pa.concat_arrays([ids.filter(pa.array(kept)), seen.prospect_ids.filter(pa.array(gone))]),
                np.concatenate([hashes[kept], seen.prospect_hashes[gone]]),
                np.concatenate([held[kept], seen.held_at[gone]]),
                np.concatenate([created[kept], np.zeros(int(gone.sum()), dtype=bool)]))


def _taken(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values` at `at`, 0 where it is negative."""
    found = np.zeros(len(at), dtype=values.dtype)
    found[at >= 0] = values[at[at >= 0]]
    return found


@dataclass(frozen=True)
class Dirty:
    """What else changed since the last run, beyond the hashes: CRM ids (records extracted again,
    their field history) and prospect ids (base rows stored, rows logged or planned last run)."""

    crm_ids: Sequence[str] = ()
    prospect_ids: Sequence[str] = ()


def changed_records(now: Seen, before: Seen, dirty: Dirty, stored_ids: object) -> np.ndarray | None:
    """Which of `now`'s records (positions, key order) must be compared again, each with every
    prospect it holds; None when everything must be (a record the last run saw is gone).
    `stored_ids`: the CRM id each of `now`'s prospects stores (texts; null for none).

    A record whose data changed (its hash, or named in `dirty`) is compared, and so is the record
    holding each prospect that stores it (a prospect's deletion reads the record it stores); so is
    the record each changed, new or gone prospect is held by, now and at the last run. A CRM id in
    `dirty` that is none of the org's records changes nothing this run compares (every pair it
    compares holds one of them), and is new to the next run's hashes if it comes."""
    was, still = _aligned(now.crm_ids, before.crm_ids)
    if (still < 0).any():
        return None
    data = np.zeros(len(now.crm_ids), dtype=bool)
    data[was < 0] = True
    seen = was >= 0
    data[seen] = now.crm_hashes[seen] != before.crm_hashes[was[seen]]
    data[_found(text_positions(texts(dirty.crm_ids), now.crm_ids))] = True
    # Few records change from run to run: the set of those is small, the org's ids are not.
    storing = pc.is_in(texts(stored_ids), value_set=now.crm_ids.filter(pa.array(data)), skip_nulls=True)
    storing = pc.fill_null(storing, False).to_numpy(zero_copy_only=False)
    changed = data.copy()
    changed[_found(_prospects_moved(now, before, dirty, still))] = True
    changed[_found(now.held_at[storing])] = True
    return changed


def _prospects_moved(now: Seen, before: Seen, dirty: Dirty, record_now: np.ndarray) -> np.ndarray:
    """The records (positions in `now`) held, now or before, by a prospect that changed, came or
    went; `record_now`: where each of `before`'s records is in `now` (every one is)."""
    was, still = _aligned(now.prospect_ids, before.prospect_ids)
    changed = was < 0
    changed[~changed] = now.prospect_hashes[~changed] != before.prospect_hashes[was[~changed]]
    named = texts(dirty.prospect_ids)
    changed[_found(text_positions(named, now.prospect_ids))] = True
    before_dirty = still < 0
    before_dirty[was[changed & (was >= 0)]] = True
    before_dirty[_found(text_positions(named, before.prospect_ids))] = True
    held_before = before.held_at[before_dirty]
    return np.concatenate([now.held_at[changed], np.where(held_before >= 0, record_now[held_before], -1)])


def _found(at: np.ndarray) -> np.ndarray:
    return at[at >= 0]


def _aligned(now: pa.Array, before: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(the position in `before` of each id of `now`, the position in `now` of each of `before`),
    -1 for none; ids are unique and never null. The same ids in the same order, as a steady run's
    records and prospects mostly are, need no lookup."""
    if len(now) == len(before) and now.equals(before):
        same = np.arange(len(now), dtype=np.int64)
        return same, same
    return text_positions(now, before), text_positions(before, now)
