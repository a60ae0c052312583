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

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.lookup import positions

# Bumped whenever what is hashed or how changes: a run with another version compares everything.
# 2: a prospect's own row is hashed by the store (app_data.read_prospect_hashes).
SEEN_VERSION = "2"

_PEOPLE_COLUMNS = ("crm_id", "crm_type", "email", "is_deleted", "last_modified_date", "changed_at", "how", "fate")


@dataclass(frozen=True)
class Seen:
    """What one run compared: each record's id and people hash (key order), each prospect's id,
    hash and the CRM id it was held by ("" for none)."""

    crm_ids: np.ndarray
    crm_hashes: np.ndarray
    prospect_ids: np.ndarray
    prospect_hashes: np.ndarray
    held_by: np.ndarray

    def to_bytes(self) -> bytes:
        texts = "\n".join(["\x1f".join(self.crm_ids), "\x1f".join(self.prospect_ids), "\x1f".join(self.held_by)])
        parts = [texts.encode(), self.crm_hashes.astype("<u8").tobytes(), self.prospect_hashes.astype("<u8").tobytes()]
        header = np.array([len(p) for p in parts], dtype="<u8").tobytes()
        return zlib.compress(header + b"".join(parts), 1)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Seen:
        raw = zlib.decompress(blob)
        sizes = np.frombuffer(raw[:24], dtype="<u8")
        texts, at = raw[24:24 + int(sizes[0])].decode(), 24 + int(sizes[0])
        crm_hashes = np.frombuffer(raw[at:at + int(sizes[1])], dtype="<u8")
        prospect_hashes = np.frombuffer(raw[at + int(sizes[1]):], dtype="<u8")
        crm_ids, prospect_ids, held_by = (_split(t) for t in texts.split("\n"))
        return cls(crm_ids, crm_hashes, prospect_ids, prospect_hashes, held_by)


def _split(text: str) -> np.ndarray:
    return np.array(text.split("\x1f") if text else [], dtype=object)


def _texts(column: pd.Series) -> np.ndarray:
    return column.astype("string").fillna("").to_numpy(dtype=object)


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One hash per row, of every value: times and numbers as the values they are (never as text,
    which pandas formats to the precision of the whole column), other objects as their text."""
    texts = {c: "string" for c, dtype in frame.dtypes.items() if dtype == object}
    return pd.util.hash_pandas_object(frame.reset_index(drop=True).astype(texts), index=False).to_numpy(np.uint64)


def record_hashes(people: pd.DataFrame) -> np.ndarray:
    """One hash per row of crm_people: its own columns, and the id its chain ends on."""
    final = people["final"].to_numpy()
    ids = _texts(people["crm_id"])
    final_ids = np.where(final >= 0, ids[np.clip(final, 0, None)], "") if len(ids) else ids
    frame = people[list(_PEOPLE_COLUMNS)].reset_index(drop=True)
    return row_hashes(frame.assign(final_id=pd.Series(final_ids, dtype="string")))


def prospect_hashes(prospects: pd.DataFrame, matched: pd.DataFrame, held_by: np.ndarray) -> np.ndarray:
    """One hash per prospect (of its whole row: `prospects`' row_hash column, the store's hash of
    every column), its matches (every column, in any order) and the CRM id it is held by
    (`held_by`, "" for none)."""
    match_rows = row_hashes(matched)
    at = positions(matched["prospect_id"], prospects["prospect_id"].reset_index(drop=True))
    matches = np.zeros(len(prospects), dtype=np.uint64)
    np.add.at(matches, at[at >= 0], match_rows[at >= 0])
    own = prospects["row_hash"].to_numpy(np.uint64)
    return row_hashes(pd.DataFrame({"own": own, "matches": matches, "held_by": pd.Series(held_by, dtype="string")}))


@dataclass(frozen=True)
class Dirty:
    """What else changed since the last run, beyond the hashes: CRM ids (records extracted again,
    their field history) and prospect ids (base rows stored, rows logged or planned last run)."""

    crm_ids: Sequence[str] = ()
    prospect_ids: Sequence[str] = ()


def changed_records(now: Seen, before: Seen, dirty: Dirty, stored_ids: np.ndarray) -> np.ndarray | None:
    """Which of `now`'s records (positions, key order) must be compared again, each with every
    prospect it holds; None when everything must be (a record the last run saw is gone).
    `stored_ids`: the CRM id each of `now`'s prospects stores ("" for none).

    A record whose data changed (its hash, or named in `dirty`) is compared, and so is the record
    holding each prospect that stores it (a prospect's deletion reads the record it stores); so is
    the record each changed, new or gone prospect is held by, now and at the last run. A CRM id in
    `dirty` that is none of the org's records changes nothing this run compares (every pair it
    compares holds one of them), and is new to the next run's hashes if it comes."""
    ids_now = pd.Series(now.crm_ids, dtype="string")
    was, still = _aligned(now.crm_ids, before.crm_ids)
    if (still < 0).any():
        return None
    data = np.zeros(len(now.crm_ids), dtype=bool)
    data[was < 0] = True
    seen = was >= 0
    data[seen] = now.crm_hashes[seen] != before.crm_hashes[was[seen]]
    extra = positions(pd.Series(list(dirty.crm_ids), dtype="string"), ids_now)
    data[extra[extra >= 0]] = True
    stored_at = positions(pd.Series(stored_ids, dtype="string").replace("", pd.NA), ids_now)
    storing = np.zeros(len(stored_ids), dtype=bool)
    storing[stored_at >= 0] = data[stored_at[stored_at >= 0]]
    held = np.concatenate([_prospects_moved(now, before, dirty), now.held_by[storing]])
    held_at = positions(pd.Series(held[held != ""], dtype="string"), ids_now)
    changed = data.copy()
    changed[held_at[held_at >= 0]] = True
    return changed


def _prospects_moved(now: Seen, before: Seen, dirty: Dirty) -> np.ndarray:
    """The CRM ids held, now or before, by a prospect that changed, came or went."""
    ids_now, ids_before = pd.Series(now.prospect_ids, dtype="string"), pd.Series(before.prospect_ids, dtype="string")
    was, still = _aligned(now.prospect_ids, before.prospect_ids)
    changed = was < 0
    changed[~changed] = now.prospect_hashes[~changed] != before.prospect_hashes[was[~changed]]
    gone = still < 0
    named = pd.Series(list(dirty.prospect_ids), dtype="string")
    changed[positions(named, ids_now)[positions(named, ids_now) >= 0]] = True
    before_dirty = gone.copy()
    before_dirty[was[changed & (was >= 0)]] = True
    named_before = positions(named, ids_before)
    before_dirty[named_before[named_before >= 0]] = True
    return np.concatenate([now.held_by[changed], before.held_by[before_dirty]])


def _aligned(now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the position in `before` of each id of `now`, the position in `now` of each of `before`),
    -1 for none; ids are unique and never NA. The same ids in the same order, as a steady run's
    records and prospects mostly are, need no lookup."""
    if len(now) == len(before) and np.array_equal(now, before):
        same = np.arange(len(now), dtype=np.int64)
        return same, same
    ids_now, ids_before = pd.Series(now, dtype="string"), pd.Series(before, dtype="string")
    return positions(ids_now, ids_before), positions(ids_before, ids_now)
