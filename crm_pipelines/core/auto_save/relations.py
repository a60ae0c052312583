"""One-to-many links between CRM records (account -> contacts, opportunity -> contact roles, ...).

Stored as a compressed index over integer codes: the values of key k are
values[starts[k]:starts[k + 1]]. Following a link for a whole array of keys is then a repeat
and a gather, with no Python loop and no hash join on strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneToMany:
    starts: np.ndarray
    values: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray, values: np.ndarray, n_keys: int) -> OneToMany:
        """The link from each key code to its value codes; pairs with a -1 on either side are left out."""
        keep = (keys >= 0) & (values >= 0)
        keys, values = keys[keep], values[keep]
        order = np.argsort(keys, kind="stable")
        counts = np.bincount(keys, minlength=n_keys)
        starts = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(starts, values[order].astype(np.int32))

    def follow(self, keys: np.ndarray, payload: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (key, payload) pair, one (payload, value) pair per value linked to the key."""
        keys = np.asarray(keys, dtype=np.int64)
        valid = keys >= 0
        keys, payload = keys[valid], np.asarray(payload)[valid]
        counts = self.starts[keys + 1] - self.starts[keys]
        linked = counts > 0
        keys, payload, counts = keys[linked], payload[linked], counts[linked]
        total = int(counts.sum())
        # Positions of the values: runs of consecutive indices, one run per key, built with a
        # single cumulative sum over one array instead of a repeat plus a separate arange.
        positions = np.ones(total, dtype=np.int64)
        if total:
            run_start = np.cumsum(counts) - counts
            positions[0] = self.starts[keys[0]]
            positions[run_start[1:]] = self.starts[keys[1:]] - (self.starts[keys[:-1]] + counts[:-1] - 1)
            np.cumsum(positions, out=positions)
        values = self.values[positions]
        del positions
        return np.repeat(payload, counts), values

    def count(self, keys: np.ndarray) -> np.ndarray:
        return self.starts[keys + 1] - self.starts[keys]
