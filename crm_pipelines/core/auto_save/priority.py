"""L5: which items a full list keeps, in what order.

Items are kept in tiers, and within a tier in L5's priority order:
  tier 0  the user's manual adds (they count toward the cap, and the user asked for them);
  tier 1  items already on the list whose record is not in the CRM data at all (a manual add the
          sync has not brought yet); records deleted in the CRM are on no list at all;
  tier 2  other items already on the list whose rules still hold (stickiness, L6);
  tier 3  new items.
Priority within a tier: last modified date, newest first; then associated with the user's owned
open opportunities; then owned by the user; then the CRM id, so that equal items are always
ordered the same way. A user's items beyond the cap are "capped out".

Only users with more candidates than the cap are ranked at all; everyone else keeps everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MANUAL, STICKY_ABSENT, STICKY, NEW = 0, 1, 2, 3
TIERS = 4


@dataclass(frozen=True)
class Ranking:
    kept: np.ndarray  # bool per item
    rank: np.ndarray  # int32: 1-based position among the user's items; 0 for users within the cap
    candidates: np.ndarray  # per subject: how many eligible items it has in this list


def modification_ranks(modified: np.ndarray) -> np.ndarray:
    """Per record (int32): 0 for the most recently modified, equal times sharing a rank."""
    order = np.argsort(modified, kind="stable")[::-1]
    ordered = modified[order]
    new_time = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.empty(0, bool)
    ranks = np.empty(len(modified), np.int32)
    ranks[order] = np.cumsum(new_time) - 1
    return ranks


def rank_items(subject: np.ndarray, tier: np.ndarray, record: np.ndarray, modification_rank: np.ndarray,
               on_opportunity: np.ndarray, owned: np.ndarray, n_subjects: int, cap: int) -> Ranking:
    """Rank each user's items. Arrays are aligned per item (items ordered by subject then CRM id),
    except `modification_rank`, which is per record. A tier below 0 marks an item that is not
    eligible at all: it is neither kept nor ranked."""
    eligible = tier >= 0
    candidates = np.bincount(subject, weights=eligible, minlength=n_subjects).astype(np.int64)
    kept = eligible.copy()
    rank = np.zeros(len(subject), np.int32)
    ranked = np.flatnonzero(eligible & (candidates > cap)[subject]).astype(np.int32)
    del eligible
    if len(ranked) == 0:
        return Ranking(kept, rank, candidates)
    order = _priority_order(ranked, subject, tier, record, modification_rank, on_opportunity, owned, n_subjects)
    counts = candidates[candidates > cap]
    within = np.arange(1, len(order) + 1, dtype=np.int32)
    within -= np.repeat((np.cumsum(counts) - counts).astype(np.int32), counts)
    ranked = ranked[order]
    del order
    rank[ranked] = within
    kept[ranked] = within <= cap
    return Ranking(kept, rank, candidates)


def _priority_order(ranked: np.ndarray, subject: np.ndarray, tier: np.ndarray, record: np.ndarray,
                    modification_rank: np.ndarray, on_opportunity: np.ndarray, owned: np.ndarray,
                    n_subjects: int) -> np.ndarray:
    """Positions in `ranked` of its items in priority order, grouped by subject.

    Items arrive ordered by subject then CRM id, so their position is the final tie-break. When
    all fields fit in 63 bits they are packed into one integer key, field by field, and sorted:
    several times faster and far smaller than a multi-key argsort over millions of items."""
    n = len(ranked)
    fields = [
        (lambda: subject[ranked], n_subjects),
        (lambda: tier[ranked], TIERS),
        (lambda: modification_rank[record[ranked]], int(modification_rank.max(initial=0)) + 1),
        (lambda: ~on_opportunity[ranked], 2),
        (lambda: ~owned[ranked], 2),
    ]
    widths = [max(1, int(size - 1).bit_length()) for _, size in fields]
    position_width = max(1, (n - 1).bit_length())
    if sum(widths) + position_width > 63:
        return np.lexsort((np.arange(n), *(values() for values, _ in reversed(fields))))
    key = np.zeros(n, np.int64)
    for (values, _), width in zip(fields, widths):
        key <<= width
        key |= values()
    key <<= position_width
    for start in range(0, n, _CHUNK):  # positions added a chunk at a time: no second full array
        stop = min(n, start + _CHUNK)
        key[start:stop] += np.arange(start, stop, dtype=np.int64)
    key.sort()
    key &= (1 << position_width) - 1
    return key


_CHUNK = 1 << 22
