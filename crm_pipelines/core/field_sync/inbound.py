"""CRM → app: the prospect changes due (F1–F4) and applying them to the prospects table."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.changes import CRM_TO_APP
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


def changed_prospects(prospects: pd.DataFrame, changes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(rows, ids): the prospects the crm_to_app prospect changes name (`ids`, in first-named
    order) as apply_inbound_changes leaves them (`rows`: those still there, created ones included).
    Applying changes a record's row from its own rows alone, so these are the rows of
    apply_inbound_changes(prospects, changes) with those ids, and every other row is unchanged:
    writing just these (issue 17) leaves the table a whole write leaves."""
    ids = named_prospects(changes)
    own = prospects.loc[prospects["prospect_id"].astype("string").isin(ids).to_numpy(dtype=bool)]
    return apply_inbound_changes(own.reset_index(drop=True), changes), ids


def named_prospects(changes: pd.DataFrame) -> list[str]:
    """The prospects (ids, in first-named order) the crm_to_app prospect changes name."""
    named = changes.loc[(changes["object"] == "prospect").to_numpy(dtype=bool)
                        & (changes["direction"] == CRM_TO_APP).to_numpy(dtype=bool), "app_id"]
    return named.astype("string").dropna().drop_duplicates().tolist()
