"""Duplicate prospects: several app prospects linked to one CRM Lead or Contact.

If each pushed its own values, the record would take whichever pushed last, and the next sync
would find the others different and push them again: the CRM record flip-flops for ever. One of
them writes to it: the most recently updated live holder (then the smallest prospect id), the
rule the field sync already applies to its outbound changes; the others' updates are `skip`
items that say which prospect writes.
"""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.matching.frames import flag, utc_naive


def writer_of_each_record(prospects: pd.DataFrame) -> pd.Series:
    """CRM id → the prospect that alone writes to it, for CRM records several live prospects hold."""
    live = prospects.loc[~flag(prospects, "is_deleted") & prospects["crm_id"].notna()]
    shared = pd.DataFrame({"prospect_id": live["prospect_id"].astype("string"), "crm_id": live["crm_id"].astype("string"),
                           "updated_at": utc_naive(live["updated_at"])})
    shared = shared.loc[shared.duplicated("crm_id", keep=False)]
    writers = shared.sort_values(["updated_at", "prospect_id"], ascending=[False, True], na_position="last")
    return writers.drop_duplicates("crm_id").set_index("crm_id")["prospect_id"]


def one_writer_per_record(items: pd.DataFrame, prospects: pd.DataFrame) -> pd.DataFrame:
    """`items` with the updates of prospects that are not their CRM record's writer made `skip`."""
    writer = writer_of_each_record(prospects)
    if writer.empty or items.empty:
        return items
    is_update = (items["operation"] == "update") & (items["app_object"] == "prospect")
    expected = items["crm_id"].map(writer)
    other = (is_update & expected.notna() & (expected != items["app_id"])).fillna(False).to_numpy(dtype=bool)
    if not other.any():
        return items
    items = items.copy()
    items.loc[other, "note"] = (items.loc[other, "sobject"] + " " + items.loc[other, "crm_id"]
                                + " is also linked to prospect " + expected[other] + ", which alone writes to it")
    items.loc[other, "operation"] = "skip"
    return items
