"""What the list rebuild takes in and gives back: the column contracts, the inputs and the result.

Every frame is for one tenant. Input frames may carry more columns than listed (they are
ignored); a missing column is refused with the frame's name. Output frames always have exactly
the listed columns, in that order, with the dtypes of the `empty_*` constructors below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.saved_items import saved_item_totals

ListName = Literal["accounts", "leads_and_contacts"]
LISTS: tuple[ListName, ListName] = ("accounts", "leads_and_contacts")
LIST_TITLES: Mapping[str, str] = {"accounts": "My CRM Accounts", "leads_and_contacts": "My CRM Leads and Contacts"}

RecordType = Literal["Account", "Lead", "Contact"]
RECORD_TYPES: tuple[RecordType, RecordType, RecordType] = ("Account", "Lead", "Contact")

Action = Literal["add", "remove", "remove_with_leads_and_contacts"]
ACTIONS: tuple[Action, ...] = ("add", "remove", "remove_with_leads_and_contacts")

LIST_CAP = 1000
"""L5: at most this many items per list."""

TEXT = pd.StringDtype("pyarrow")
MOMENT = pd.DatetimeTZDtype("us", "UTC")

CRM_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "users": ("id", "manager_id"),
    "accounts": ("id", "owner_id", "website", "last_modified_date", "is_deleted"),
    "account_team_members": ("account_id", "user_id", "is_deleted"),
    "contacts": ("id", "account_id", "owner_id", "last_modified_date", "is_deleted"),
    "leads": ("id", "email", "owner_id", "is_converted", "converted_account_id", "converted_opportunity_id",
              "last_modified_date", "is_deleted"),
    "opportunities": ("id", "account_id", "owner_id", "is_closed", "is_deleted"),
    "opportunity_contact_roles": ("opportunity_id", "contact_id", "is_deleted"),
}
"""The extracted CRM tables (crm_users, crm_accounts, ...) and the columns the rules read of each.
Leads may also carry converted_contact_id: a converted lead's Contact takes its place (X5); without
it a converted lead leaves the lists and nothing replaces it."""

OPTIONAL_CRM_COLUMNS: Mapping[str, tuple[str, ...]] = {"leads": ("converted_contact_id",)}
"""Columns read where the table has them (the rest of each table is never read)."""

MATCH_COLUMNS = ("user_id", "crm_user_id")
SELECTION_COLUMNS = ("user_id", "account_rules", "lead_rules")
OVERRIDE_COLUMNS = ("user_id", "list", "action", "crm_id", "at")

LIST_COLUMNS = ("user_id", "list", "crm_id", "record_type", "rules", "source", "added_at", "is_deleted")
CHANGE_COLUMNS = ("user_id", "list", "crm_id", "record_type", "change", "reason", "at")
SUMMARY_COLUMNS = ("user_id", "list", "items", "auto_items", "manual_items", "deleted_items", "capped_out",
                   "added", "removed")
CAPPED_OUT_COLUMNS = ("user_id", "list", "crm_id", "record_type", "rules", "rank", "candidates")


@dataclass(frozen=True)
class CrmFrames:
    """The extracted CRM tables of one tenant, with warehouse (snake_case) column names."""

    users: pd.DataFrame
    accounts: pd.DataFrame
    account_team_members: pd.DataFrame
    contacts: pd.DataFrame
    leads: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_contact_roles: pd.DataFrame

    def __post_init__(self) -> None:
        for name, columns in CRM_COLUMNS.items():
            require_columns(getattr(self, name), columns, f"CRM table {name}")


@dataclass(frozen=True)
class AutoSaveInputs:
    """Everything one tenant's rebuild reads.

    user_matches: user_id (app user) and crm_user_id (the CRM User it is matched to); only these
        users get lists (L1). An app user with no row, or with crm_user_id NA, has no CRM match.
    rule_selections: user_id, account_rules, lead_rules (collections of rule codes, or text such as
        "A1,A3"). A user without a row, or with NA, has every rule on (the settings default); an
        empty collection is "all rules off" (L4).
    previous_lists: the last rebuild's rows of both lists (LIST_COLUMNS), empty before the first.
    manual_overrides: user_id, list, action (add | remove | remove_with_leads_and_contacts),
        crm_id, at. Every action the users took; the latest per user, list and record decides.
    enabled: the tenant's auto-save switch (L4). connected: False while the tenant is
        disconnected from its CRM (L9). Either one off freezes every list as it is.
    """

    crm: CrmFrames
    user_matches: pd.DataFrame
    rule_selections: pd.DataFrame
    previous_lists: pd.DataFrame
    manual_overrides: pd.DataFrame
    enabled: bool = True
    connected: bool = True

    def __post_init__(self) -> None:
        require_columns(self.user_matches, MATCH_COLUMNS, "user matches")
        require_columns(self.rule_selections, SELECTION_COLUMNS, "rule selections")
        require_columns(self.previous_lists, LIST_COLUMNS, "previous lists")
        require_columns(self.manual_overrides, OVERRIDE_COLUMNS, "manual overrides")

    def for_users(self, user_ids: Collection[str]) -> AutoSaveInputs:
        """The same inputs narrowed to some app users (the CRM tables stay whole)."""
        wanted = list(user_ids)

        def narrow(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["user_id"].isin(wanted)]

        return dataclasses.replace(
            self, user_matches=narrow(self.user_matches), rule_selections=narrow(self.rule_selections),
            previous_lists=narrow(self.previous_lists), manual_overrides=narrow(self.manual_overrides),
        )


@dataclass(frozen=True)
class AutoSaveResult:
    """One rebuild's outcome.

    lists: the new rows of both lists (LIST_COLUMNS): the accounts list's rows, then the other
        list's, each by user then CRM id (records gone from the CRM data after the others), then
        the unchanged rows of users who lost their CRM match. The asset writes `account_list` to
        auto_save_account_lists and `lead_list` to auto_save_lead_lists.
    changes: what this rebuild added and removed, with the reason (CHANGE_COLUMNS).
    summary: per user and list (SUMMARY_COLUMNS): items kept, of them auto, manual and flagged
        as not live (not in the CRM data; records the CRM deleted are on no list), how many qualifying items did not fit under the cap, and added / removed counts.
    capped_out: the qualifying items that did not fit, with their priority rank of how many
        candidates (CAPPED_OUT_COLUMNS); filled only when asked for, since it can be large.
    frozen_reason: why nothing was rebuilt (switch off or disconnected), else None.
    """

    lists: pd.DataFrame
    changes: pd.DataFrame
    summary: pd.DataFrame
    capped_out: pd.DataFrame
    frozen_reason: str | None = None

    @property
    def account_list(self) -> pd.DataFrame:
        return self.lists[self.lists["list"] == "accounts"].reset_index(drop=True)

    @property
    def lead_list(self) -> pd.DataFrame:
        return self.lists[self.lists["list"] == "leads_and_contacts"].reset_index(drop=True)

    @property
    def saved_items(self) -> pd.DataFrame:
        """L12: each user's saved items, per list and in all (saved_items.SAVED_ITEM_COLUMNS)."""
        return saved_item_totals(self.lists, self.summary["user_id"])

    def metadata(self) -> dict[str, object]:
        """Figures for the materialization (L10, O6): items per list, capped out, added, removed,
        and the distribution of list sizes."""
        figures: dict[str, object] = {"frozen": self.frozen_reason or "no",
                                      "users_with_lists": int(self.summary["user_id"].nunique())}
        for name in LISTS:
            rows = self.summary[self.summary["list"] == name]
            sizes = rows["items"].to_numpy(dtype=np.int64)
            figures[f"{name}_items"] = int(sizes.sum())
            figures[f"{name}_capped_out"] = int(rows["capped_out"].sum())
            figures[f"{name}_added"] = int(rows["added"].sum())
            figures[f"{name}_removed"] = int(rows["removed"].sum())
            for label, q in (("p50", 0.5), ("p90", 0.9), ("max", 1.0)):
                figures[f"{name}_size_{label}"] = int(np.quantile(sizes, q)) if len(sizes) else 0
        return figures


def require_columns(frame: pd.DataFrame, columns: Collection[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


def empty_lists() -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": pd.Series([], dtype=TEXT), "list": pd.Series([], dtype=TEXT),
        "crm_id": pd.Series([], dtype=TEXT), "record_type": pd.Series([], dtype=TEXT),
        "rules": pd.Series([], dtype=object), "source": pd.Series([], dtype=TEXT),
        "added_at": pd.Series([], dtype=MOMENT), "is_deleted": pd.Series([], dtype=bool),
    })


def empty_changes() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=MOMENT if name == "at" else TEXT) for name in CHANGE_COLUMNS})


def empty_summary() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=TEXT if name in ("user_id", "list") else np.int64)
                         for name in SUMMARY_COLUMNS})


def empty_capped_out() -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": pd.Series([], dtype=TEXT), "list": pd.Series([], dtype=TEXT),
        "crm_id": pd.Series([], dtype=TEXT), "record_type": pd.Series([], dtype=TEXT),
        "rules": pd.Series([], dtype=object), "rank": pd.Series([], dtype=np.int64),
        "candidates": pd.Series([], dtype=np.int64),
    })


def empty_overrides() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=MOMENT if name == "at" else TEXT) for name in OVERRIDE_COLUMNS})


def empty_selections() -> pd.DataFrame:
    return pd.DataFrame({"user_id": pd.Series([], dtype=TEXT), "account_rules": pd.Series([], dtype=object),
                         "lead_rules": pd.Series([], dtype=object)})
