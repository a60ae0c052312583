"""Duplicate prospects: several app prospects linked to one CRM Lead or Contact.

If each sent its own values, the record would take whichever was sent last, and the next sync
would find the others different and send them again: the CRM record would flip-flop for ever. One
of them writes to it, always the same while nobody edits them: the most recently updated live
holder (then the smallest prospect id). The field sync's outbound changes and the outbound
pushes both follow this one rule.
"""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.matching.frames import flag, utc_naive


def writer_of_each_record(holders: pd.DataFrame) -> pd.Series:
    """CRM id → the prospect that alone writes to it, for the CRM records several live holders
    share. `holders`: prospect_id, crm_id, updated_at (and is_deleted, when there is one)."""
    live = holders.loc[~flag(holders, "is_deleted") & holders["crm_id"].notna()]
    shared = pd.DataFrame({"prospect_id": live["prospect_id"].astype("string"), "crm_id": live["crm_id"].astype("string"),
                           "updated_at": utc_naive(live["updated_at"])})
    shared = shared.loc[shared.duplicated("crm_id", keep=False)]
    ranked = shared.sort_values(["updated_at", "prospect_id"], ascending=[False, True], na_position="last")
    return ranked.drop_duplicates("crm_id").set_index("crm_id")["prospect_id"]
