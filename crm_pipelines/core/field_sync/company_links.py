"""A company keeps the Account it matched (X4): the field sync stores the matched Account's id as
the company's CRM id.

Without it, a company matched by name takes its Account's website (Accounts are pulled), and the
next sync matches it by that website's domain instead, where another Account with the same domain
may rank first: the match would change with no change in the CRM. With the id stored, every later
sync matches by id, which nothing in the app's or the CRM's other data can move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import mapped_text
from crm_pipelines.core.field_sync.changes import CRM_TO_APP, change_rows
from crm_pipelines.core.matching.frames import utc_aware, utc_naive
from crm_pipelines.core.matching.lookup import positions

_LINK_REASON = {"domain": "matched_by_domain", "name": "matched_by_name", "manual": "manual_match",
                "merged": "merge_followed", "id": "matched_by_id"}


def company_link_changes(matched_accounts: pd.DataFrame, companies: pd.DataFrame,
                         crm_accounts: pd.DataFrame) -> pd.DataFrame:
    """crm_to_app change rows setting `crm_account_id` of each matched company whose stored id is
    not the Account it matched (matched_accounts: company_id, crm_account_id, matched_by)."""
    app_at = positions(matched_accounts["company_id"], companies["company_id"])
    crm_at = positions(matched_accounts["crm_account_id"], crm_accounts["id"])
    usable = (app_at >= 0) & (crm_at >= 0)
    links = matched_accounts.loc[usable].reset_index(drop=True)
    stored = companies["crm_account_id"].astype("string").reset_index(drop=True).iloc[app_at[usable]]
    stored = stored.reset_index(drop=True)
    matched = links["crm_account_id"].astype("string")
    differs = ~(stored == matched).fillna(False).to_numpy(dtype=bool)
    modified = utc_naive(crm_accounts["last_modified_date"])[crm_at[usable]]
    return change_rows(
        object="company", app_id=links["company_id"].astype("string")[differs], crm_type="Account",
        crm_id=matched[differs], field="crm_account_id", crm_field=None, field_type="string",
        old_value=stored[differs], new_value=matched[differs], direction=CRM_TO_APP,
        reason=mapped_text(links["matched_by"], _LINK_REASON)[differs].reset_index(drop=True),
        at=utc_aware(modified[differs]))
