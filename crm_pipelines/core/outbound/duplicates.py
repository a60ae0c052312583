"""Outbound updates of duplicate prospects: only the writer of each shared CRM record
(field_sync.record_writers) updates it; the others' updates become `skip` items that say which
prospect writes."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.field_sync.record_writers import writer_of_each_record


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
