"""L12: each user's total saved items, of which the auto-save lists are part.

A user's saved items are the items on their two lists that they can work on: the auto-saved ones
and the ones they added by hand. Items they removed are not on a list, so they do not count;
items the CRM deleted leave the lists at the next rebuild. An item flagged as not live (a
manual add of a record the sync has not brought yet) is nothing to work on yet, so it does not
count either. Per user: the accounts list, the leads and contacts list, the same
items split into auto-saved and manual, and the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT = pd.StringDtype("pyarrow")

SAVED_ITEM_COLUMNS = ("user_id", "account_items", "lead_and_contact_items", "auto_items", "manual_items",
                      "saved_items")


def saved_item_totals(lists: pd.DataFrame, user_ids: pd.Series) -> pd.DataFrame:
    """SAVED_ITEM_COLUMNS, one row per user of `user_ids` or of `lists` (LIST_COLUMNS), by user id;
    a user with nothing saved has zeros."""
    counted = lists.loc[~lists["is_deleted"].fillna(False).astype(bool).to_numpy()]
    users = pd.Index(pd.concat([user_ids.astype(TEXT), lists["user_id"].astype(TEXT)]).dropna().unique()).sort_values()
    codes = users.get_indexer(counted["user_id"].astype(TEXT))

    def per_user(mask: pd.Series) -> np.ndarray:
        return np.bincount(codes[mask.to_numpy(dtype=bool)], minlength=len(users)).astype(np.int64)

    accounts = per_user(counted["list"] == "accounts")
    persons = per_user(counted["list"] == "leads_and_contacts")
    return pd.DataFrame({
        "user_id": pd.Series(users, dtype=TEXT),
        "account_items": accounts,
        "lead_and_contact_items": persons,
        "auto_items": per_user(counted["source"] == "auto"),
        "manual_items": per_user(counted["source"] == "manual"),
        "saved_items": accounts + persons,
    })
