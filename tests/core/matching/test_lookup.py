"""Key lookups and successor chains, against the obvious slow versions."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.core.matching.successors import (
    CONVERTED,
    DELETED,
    LIVE,
    MERGED,
    OWN,
    SUCCESSOR_MISSING,
    follow_successors,
)

KEYS = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "ab", "é"]))


@given(keys=st.lists(KEYS, max_size=12), values=st.lists(KEYS, max_size=120))
def test_positions_finds_the_first_occurrence_and_never_matches_na(keys, values):
    # Both the many-keys and the few-keys paths are exercised: 12 keys against up to 120 values.
    expected = [next((i for i, v in enumerate(values) if k is not None and v == k), -1) for k in keys]
    got = positions(pd.Series(keys, dtype="string"), pd.Series(values, dtype="string"))
    assert got.tolist() == expected


def test_chains_of_merges_and_conversions_are_followed_to_their_end():
    ids = pd.Series(["L1", "L2", "C1", "C2", "L3", "L4", "L5"], dtype="string")
    next_ids = pd.Series(["L2", "C1", None, None, "C9", "L5", "L4"], dtype="string")
    kinds = np.array([MERGED, CONVERTED, OWN, OWN, CONVERTED, MERGED, MERGED], dtype=np.int8)
    deleted = np.array([True, False, False, True, False, True, True])
    chains = follow_successors(ids, next_ids, kinds, deleted)
    # L1 merged into L2, converted to C1; C2 deleted; L3 converted to a missing Contact; L4 and L5 merged
    # into each other (a cycle).
    assert chains.final.tolist()[:4] == [2, 2, 2, 3]
    assert chains.fate.tolist() == [LIVE, LIVE, LIVE, DELETED, SUCCESSOR_MISSING, SUCCESSOR_MISSING, SUCCESSOR_MISSING]
    assert chains.how.tolist() == [MERGED, CONVERTED, OWN, OWN, CONVERTED, MERGED, MERGED]
