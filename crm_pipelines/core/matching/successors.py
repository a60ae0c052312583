"""Where a CRM record went: merged into a master record (E5), converted to a Contact (X5), deleted.

Salesforce keeps a merged-away record as deleted with `MasterRecordId` set, and a converted Lead
as a live but frozen record with `ConvertedContactId` set. Either can chain (a Lead merged into a
Lead that was later converted), so chains are followed hop by hop, all records at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.lookup import positions

MAX_HOPS = 8
"""Longer chains than this are treated as broken (and cycles, which bad data can produce)."""

# Fates of a record once its chain is followed (int8 codes: a million of them compare fast).
LIVE, DELETED, SUCCESSOR_MISSING = 0, 1, 2
FATES = ("live", "deleted", "successor_missing")

# How a record reached its final record (the first hop names it).
OWN, MERGED, CONVERTED = 0, 1, 2
HOWS = ("own", "merged", "converted")


@dataclass(frozen=True)
class Successors:
    """Per record, aligned with the input: the position of the final record it leads to (itself
    when it did not move), how it got there (OWN/MERGED/CONVERTED) and its fate (LIVE/DELETED/
    SUCCESSOR_MISSING), both int8 codes."""

    final: np.ndarray
    how: np.ndarray
    fate: np.ndarray


def follow_successors(
    ids: pd.Series, next_ids: pd.Series, next_kinds: np.ndarray, is_deleted: np.ndarray
) -> Successors:
    """Follow each record's successor chain. `next_kinds` is MERGED, CONVERTED or OWN (does not
    move) per record; a record that moves to no (findable) next id has a missing successor."""
    n = len(ids)
    moves = next_kinds != OWN
    next_pos = np.full(n, -1, dtype=np.int64)
    movers = np.flatnonzero(moves)
    if movers.size:
        next_pos[movers] = positions(next_ids.iloc[movers].reset_index(drop=True), ids)

    final = np.arange(n, dtype=np.int64)
    broken = np.zeros(n, dtype=bool)
    active = moves.copy()
    for _ in range(MAX_HOPS):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        step = next_pos[final[rows]]
        lost = step < 0
        broken[rows[lost]] = True
        arrived = rows[~lost]
        final[arrived] = step[~lost]
        active[:] = False
        active[arrived] = moves[final[arrived]]
    broken |= active  # still moving after MAX_HOPS: a cycle or an absurd chain

    fate = np.where(broken, SUCCESSOR_MISSING, np.where(is_deleted[final], DELETED, LIVE)).astype(np.int8)
    return Successors(final=final, how=np.asarray(next_kinds, dtype=np.int8), fate=fate)
