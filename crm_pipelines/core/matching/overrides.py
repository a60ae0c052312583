"""Manual match overrides (X3): the latest confirmation per app record wins.

Overrides are an input of every rebuild, never a result of one, so they cannot be lost when the
matches are recomputed from scratch.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Entity = Literal["user", "prospect", "company"]

OVERRIDE_COLUMNS = ("entity", "app_id", "crm_id", "confirmed_at")


def latest_overrides(overrides: pd.DataFrame | None, entity: Entity) -> pd.DataFrame:
    """One row per app record of `entity`, by app_id: app_id, crm_id, confirmed_at (the latest
    confirmation; between confirmations at the same time, the greatest CRM id, so the result
    never depends on row order).

    `overrides` has the match_overrides columns: entity, app_id, crm_id, confirmed_at; None or an
    empty frame means no overrides. Rows without an app id or a CRM id confirm nothing and are left out.
    """
    if overrides is None or overrides.empty:
        return _empty()
    missing = [c for c in OVERRIDE_COLUMNS if c not in overrides.columns]
    if missing:
        raise ValueError(f"match overrides for {entity}s lack the column(s) {', '.join(missing)}")
    rows = overrides.loc[overrides["entity"].astype("string") == entity, ["app_id", "crm_id", "confirmed_at"]]
    rows = rows.astype({"app_id": "string", "crm_id": "string"}).dropna(subset=["app_id", "crm_id"])
    rows = rows.sort_values(["confirmed_at", "crm_id"], kind="stable", na_position="first")
    latest = rows.drop_duplicates("app_id", keep="last")
    return latest.sort_values("app_id", kind="stable").reset_index(drop=True)


def stale_overrides(overrides: pd.DataFrame, app_known: np.ndarray, crm_usable: np.ndarray) -> pd.DataFrame:
    """The overrides that cannot apply (app_id, crm_id, reason): the app record is unknown
    (app_record_not_found), or the CRM record is unknown or deleted with no live successor
    (crm_record_not_found_or_deleted). Both masks are aligned with `overrides`."""
    reason = np.where(~app_known, "app_record_not_found", np.where(~crm_usable, "crm_record_not_found_or_deleted", ""))
    stale = overrides.loc[reason != "", ["app_id", "crm_id"]].assign(reason=reason[reason != ""])
    return stale.astype({"reason": "string"}).reset_index(drop=True)


def empty_stale_overrides() -> pd.DataFrame:
    return pd.DataFrame({
        "app_id": pd.Series(dtype="string"),
        "crm_id": pd.Series(dtype="string"),
        "reason": pd.Series(dtype="string"),
    })


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "app_id": pd.Series(dtype="string"),
        "crm_id": pd.Series(dtype="string"),
        "confirmed_at": pd.Series(dtype="datetime64[us, UTC]"),
    })
