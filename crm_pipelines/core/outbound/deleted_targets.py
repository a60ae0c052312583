"""Push items aimed at CRM records deleted there (E3): never sent, whatever the app still links.

An item aims at a record through the id it updates (`crm_id`) or a Task's WhoId/WhatId. The app's
links are cleared by the next field sync; until then, the warehouse's deleted flags decide.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

_REFERENCE_FIELDS = ("WhoId", "WhatId")


def target_ids(items: pd.DataFrame) -> set[str]:
    """Every CRM id the items update or point a Task at."""
    ids = {str(v) for v in items["crm_id"].dropna()}
    for fields in items["fields"]:
        ids.update(str(fields[name]) for name in _REFERENCE_FIELDS if isinstance(fields, dict) and fields.get(name))
    return ids


def aimed_at_deleted(items: pd.DataFrame, deleted_ids: Iterable[str]) -> np.ndarray:
    """One flag per item: True when it updates, or hangs a Task on, a record deleted in the CRM."""
    deleted = set(deleted_ids)
    if not deleted or items.empty:
        return np.zeros(len(items), dtype=bool)
    by_id = items["crm_id"].astype("string").isin(deleted).fillna(False).to_numpy(dtype=bool)
    by_reference = np.fromiter(
        (isinstance(f, dict) and any(str(f.get(name)) in deleted for name in _REFERENCE_FIELDS if f.get(name))
         for f in items["fields"]),
        dtype=bool, count=len(items),
    )
    return by_id | by_reference
