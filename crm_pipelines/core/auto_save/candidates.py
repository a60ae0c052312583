"""Which records each user's selected rules put on a list, and by which rules (L2-L4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_pipelines.core.auto_save.frames import ListName
from crm_pipelines.core.auto_save.org_index import OrgIndex
from crm_pipelines.core.auto_save.rules import RULE_CODES, RULES
from crm_pipelines.core.auto_save.subjects import Subjects

_BIT_WIDTH = 3  # room for a rule's bit number (0..4) in the low bits of a packed pair


@dataclass(frozen=True)
class Candidates:
    """Pairs of one list as key = subject * stride + record, sorted and distinct, with the mask of
    the rules (bit i = the list's i-th rule) that hold for each."""

    keys: np.ndarray
    rules: np.ndarray

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key: whether it is a candidate, and its rule mask (0 when not)."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), bool), np.zeros(len(keys), np.uint8)
        found, at = find(self.keys, keys)
        return found, np.where(found, self.rules[at], 0).astype(np.uint8)


def rule_candidates(org: OrgIndex, subjects: Subjects, name: ListName, stride: int, *,
                    rules: tuple[str, ...] | None = None, selected_only: bool = True) -> Candidates:
    """The candidates of list `name`: for each rule in `rules` (default: all of the list's), the
    pairs of the subjects that selected it (or of every subject, if not `selected_only`)."""
    codes = RULE_CODES[name]
    packed: list[np.ndarray] = []
    for code in rules if rules is not None else codes:
        bit = codes.index(code)
        if selected_only:
            subject_wants = (subjects.selected[name] >> bit & 1).astype(bool)
        else:
            subject_wants = np.ones(len(subjects), bool)
        crm_wants = np.zeros(len(org.users), bool)
        matched = subject_wants & (subjects.crm_user >= 0)
        crm_wants[subjects.crm_user[matched]] = True
        if not crm_wants.any():
            continue
        user, record = RULES[code](org, crm_wants)
        subject, record = subjects.of_crm_users(user, record)
        del user
        # Packed in place: these arrays can hold tens of millions of pairs.
        pairs = subject.astype(np.int64)
        pairs *= stride
        pairs += record
        del record
        pairs <<= _BIT_WIDTH
        pairs += bit
        packed.append(pairs[subject_wants[subject]])
        del pairs, subject
    if not packed:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.uint8))
    pairs = np.concatenate(packed)
    del packed
    pairs.sort()
    bits = np.left_shift(np.uint8(1), (pairs & ((1 << _BIT_WIDTH) - 1)).astype(np.uint8))
    pairs >>= _BIT_WIDTH
    first = np.ones(len(pairs), bool)
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    first = np.flatnonzero(first)
    return Candidates(pairs[first], np.bitwise_or.reduceat(bits, first) if len(first) else bits)


def find(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each of `keys` is in `sorted_keys`, and where (clipped into range when not)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), bool), np.zeros(len(keys), np.int64)
    at = np.searchsorted(sorted_keys, keys)
    np.minimum(at, len(sorted_keys) - 1, out=at)
    return sorted_keys[at] == keys, at


def distinct(keys: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `keys` (by sorting: numpy's hash-based unique is far slower
    on tens of millions of int64)."""
    ordered = np.sort(keys)
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def mark(keys: np.ndarray, some: np.ndarray) -> np.ndarray:
    """Bool per key of the sorted `keys`: whether it is among the sorted `some`.

    Searching the few in the many keeps memory at the size of `some`, where searching each of
    tens of millions of keys would allocate several arrays that long."""
    marked = np.zeros(len(keys), bool)
    if len(keys) == 0 or len(some) == 0:
        return marked
    at = np.searchsorted(keys, some)
    inside = at < len(keys)
    at, some = at[inside], some[inside]
    marked[at[keys[at] == some]] = True
    return marked
