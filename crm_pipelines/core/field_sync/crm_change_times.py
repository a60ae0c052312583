"""When each two-way field of the linked CRM records last changed in the CRM, for the CRM's side of
an F3 conflict: the field's own time from the org's field history (LeadHistory, ContactHistory,
CampaignHistory) where the org tracks that field, else the record's SystemModstamp
(LastModifiedDate only for a table without one).

A history time is capped at the record's time: history read after the record may already hold a
change whose value the extracted record does not, and that change is not the extracted value's time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.frames import changed_at, utc_naive
from crm_pipelines.core.matching.lookup import positions

FIELD_TIME_COLUMNS = ("crm_id", "field", "changed_at")
"""The warehouse's latest CRM change per (record, field): the CRM id, the CRM field's API name, when."""


class CrmFieldTimes:
    """The CRM's change time of each field of the linked records, read only when a conflict needs it."""

    def __init__(self, crm: pd.DataFrame, crm_rows: np.ndarray, crm_ids: pd.Series,
                 field_times: pd.DataFrame | None) -> None:
        self._record = changed_at(crm)[crm_rows]
        self._ids = crm_ids
        self._history = field_times if field_times is not None and len(field_times) else None

    def of(self, crm_field: str) -> np.ndarray:
        times = self._record.copy()
        if self._history is None:
            return times
        own = self._history.loc[(self._history["field"] == crm_field).fillna(False).to_numpy(dtype=bool)]
        if own.empty:
            return times
        at = positions(self._ids, own["crm_id"].astype("string").reset_index(drop=True))
        found = at >= 0
        history = utc_naive(own["changed_at"].reset_index(drop=True))[at[found]]
        record = times[found]
        times[found] = np.where(np.isnat(record) | (history < record), history, record)
        return times
