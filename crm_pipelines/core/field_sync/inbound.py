"""CRM → app: the prospect changes due (F1–F4) and applying them to the prospects table."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.one_way import one_way_of

inbound_changes = one_way_of(
    lambda sync: sync.inbound, "inbound_changes",
    """The crm_to_app change rows (changes.CHANGE_COLUMNS) for prospects; takes sync_prospects'
    arguments, which computes both ways at once.""")


def apply_inbound_changes(prospects: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The prospects table with the crm_to_app prospect changes applied (creations appended as
    live, not opted-out prospects unless the changes say otherwise). Applying the same changes
    again changes nothing."""
    return apply_changes(prospects, changes, object="prospect", id_column="prospect_id",
                         new_row_defaults={"is_deleted": False, "opted_out": False})
