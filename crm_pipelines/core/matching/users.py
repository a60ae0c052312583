"""App users ↔ CRM users by normalized email (X1), manual overrides winning (X3).

The CRM owns record ownership, so this match decides whose auto-save lists a CRM record lands on.
Salesforce lets several users share an email (usernames are unique, emails are not); then an
active user beats an inactive one, then the most recently modified, then the smallest id, and the
email is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.matching.frames import flag, require, utc_naive
from crm_pipelines.core.matching.lookup import positions, shared_codes
from crm_pipelines.core.matching.overrides import empty_stale_overrides, latest_overrides, stale_overrides

MATCHED_USER_COLUMNS = ("user_id", "crm_user_id", "matched_by")


@dataclass(frozen=True)
class UserMatches:
    """What X1 found.

    matched: user_id, crm_user_id, matched_by (email|manual) — one row per matched app user.
    unmatched: user_id, email, reason (no_email | no_crm_user_with_email).
    ambiguous: one row per CRM user whose email is shared by several CRM users or several app
        users — email, crm_user_id, is_active, rank (1 = the one app users with that email got),
        crm_users, app_users (how many of each share the email).
    stale_overrides: app_id, crm_id, reason — overrides that could not apply.
    """

    matched: pd.DataFrame
    unmatched: pd.DataFrame
    ambiguous: pd.DataFrame
    stale_overrides: pd.DataFrame


def match_users(app_users: pd.DataFrame, crm_users: pd.DataFrame, overrides: pd.DataFrame | None = None) -> UserMatches:
    """app_users: user_id, email. crm_users: id, email, is_active, last_modified_date.
    overrides: the match_overrides table (entity == "user" rows are read)."""
    require(app_users, ("user_id", "email"), "app_users")
    require(crm_users, ("id", "email", "last_modified_date"), "crm_users")
    user_ids = app_users["user_id"].astype("string").reset_index(drop=True)
    app_emails = normalize_emails(app_users["email"]).reset_index(drop=True)
    crm_ids = crm_users["id"].astype("string").reset_index(drop=True)
    crm_emails = normalize_emails(crm_users["email"]).reset_index(drop=True)

    (wanted, offered), distinct = shared_codes(app_emails, crm_emails)
    ranked = _ranked_by_email(offered, crm_users, crm_ids)
    best = np.full(distinct + 1, -1, dtype=np.int64)
    top = ranked.loc[ranked["rank"] == 1]
    best[top["code"].to_numpy()] = top["row"].to_numpy()
    crm_user, matched_by, stale = _with_overrides(best[wanted], latest_overrides(overrides, "user"), user_ids, crm_ids)

    hit = np.flatnonzero(crm_user >= 0)
    matched = pd.DataFrame({
        "user_id": user_ids.iloc[hit].to_numpy(),
        "crm_user_id": crm_ids.iloc[crm_user[hit]].to_numpy(),
        "matched_by": matched_by[hit],
    }).astype("string")
    missed = np.flatnonzero(crm_user < 0)
    unmatched = pd.DataFrame({
        "user_id": user_ids.iloc[missed].to_numpy(),
        "email": app_emails.iloc[missed].to_numpy(),
        "reason": np.where(app_emails.iloc[missed].isna(), "no_email", "no_crm_user_with_email"),
    }).astype("string")
    return UserMatches(matched, unmatched, _ambiguity(ranked, wanted, crm_emails, distinct), stale)


def _ranked_by_email(offered: np.ndarray, crm_users: pd.DataFrame, crm_ids: pd.Series) -> pd.DataFrame:
    """The CRM users with an email, ranked within each email (rank 1 is the one app users get):
    active first, then the most recently modified, then the smallest id."""
    ranked = pd.DataFrame({
        "code": offered,
        "row": np.arange(len(crm_ids)),
        "inactive": ~flag(crm_users, "is_active") if "is_active" in crm_users.columns else False,
        "last_modified_date": utc_naive(crm_users["last_modified_date"]),
        "crm_id": crm_ids.to_numpy(),
    })
    ranked = ranked.loc[ranked["code"] >= 0].sort_values(
        ["code", "inactive", "last_modified_date", "crm_id"], ascending=[True, True, False, True],
        kind="stable", na_position="last")
    ranked["rank"] = ranked.groupby("code").cumcount() + 1
    return ranked


def _with_overrides(by_email: np.ndarray, manual: pd.DataFrame, user_ids: pd.Series,
                    crm_ids: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Each app user's CRM user (-1 for none) and how it was matched, manual overrides winning
    over the email match; and the overrides that could not apply."""
    crm_user = by_email.copy()
    matched_by = np.full(len(crm_user), "", dtype="<U6")
    matched_by[crm_user >= 0] = "email"
    if manual.empty:
        return crm_user, matched_by, empty_stale_overrides()
    o_user = positions(manual["app_id"], user_ids)
    o_crm = positions(manual["crm_id"], crm_ids)
    usable = (o_user >= 0) & (o_crm >= 0)
    crm_user[o_user[usable]] = o_crm[usable]
    matched_by[o_user[usable]] = "manual"
    return crm_user, matched_by, stale_overrides(manual, o_user >= 0, o_crm >= 0)


def _ambiguity(ranked: pd.DataFrame, wanted: np.ndarray, crm_emails: pd.Series, distinct: int) -> pd.DataFrame:
    app_count = np.bincount(wanted[wanted >= 0], minlength=distinct + 1)
    crm_count = np.bincount(ranked["code"].to_numpy(), minlength=distinct + 1)
    codes = ranked["code"].to_numpy()
    shared = ranked.loc[(crm_count[codes] > 1) | (app_count[codes] > 1)]
    rows = shared["row"].to_numpy()
    return pd.DataFrame({
        "email": crm_emails.iloc[rows].to_numpy(),
        "crm_user_id": shared["crm_id"].to_numpy(),
        "is_active": ~shared["inactive"].to_numpy(dtype=bool),
        "rank": shared["rank"].to_numpy(),
        "crm_users": crm_count[shared["code"].to_numpy()],
        "app_users": app_count[shared["code"].to_numpy()],
    }).astype({"email": "string", "crm_user_id": "string"})
