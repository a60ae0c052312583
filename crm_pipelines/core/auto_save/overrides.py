"""Manual list changes (L7, L8): what the users' own adds and removals leave in force.

The overrides table is every action users took. For each user, list and record the latest action
decides: an "add" puts the record on the list as a manual item (it counts toward the cap), a
"remove" keeps auto-save from ever putting it back (until the user adds it again themselves).

"remove_with_leads_and_contacts" on an account removes the account and, on the other list, every
lead and contact linked to it (its contacts by AccountId, its leads by ConvertedAccountId or
domain, as for P2). The links are read at each rebuild, so a contact created on that account
later stays off too; a lead or contact the user adds back by hand after the removal is theirs
again. The cascade stands while the account's latest action is that removal: adding the account
back lifts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.candidates import find
from crm_pipelines.core.auto_save.frames import ACTIONS, LISTS, CrmFrames, ListName
from crm_pipelines.core.auto_save.org_index import OLDEST, OrgIndex, Records, nanoseconds
from crm_pipelines.core.auto_save.subjects import Subjects

CASCADE = "remove_with_leads_and_contacts"


@dataclass(frozen=True)
class ManualState:
    """The latest manual action per key (subject * stride + record) of one list."""

    keys: np.ndarray  # sorted, distinct
    added: np.ndarray  # True: a manual add is in force; False: the record was removed
    at: np.ndarray  # int64 ns: when the user did it
    via_account: np.ndarray  # account code whose removal with leads and contacts removed it, else -1

    def details(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key: when the user last acted on it (OLDEST if never), and the account whose
        removal with its leads and contacts removed it (-1 if none)."""
        if len(self.keys) == 0:
            return np.full(len(keys), OLDEST, np.int64), np.full(len(keys), -1, np.int64)
        found, at = find(self.keys, keys)
        return np.where(found, self.at[at], OLDEST), np.where(found & ~self.added[at], self.via_account[at], -1)


def check_overrides(overrides: pd.DataFrame) -> None:
    """Refuse actions or lists this module does not know, naming the rows."""
    bad_list = ~overrides["list"].isin(LISTS)
    bad_action = ~overrides["action"].isin(ACTIONS)
    bad_cascade = (overrides["action"] == CASCADE) & (overrides["list"] != "accounts")
    problems = [
        (bad_list, f"a list other than {list(LISTS)}"),
        (bad_action, f"an action other than {list(ACTIONS)}"),
        (bad_cascade, f"{CASCADE} on a list other than 'accounts'"),
    ]
    for mask, what in problems:
        mask = mask.fillna(True).to_numpy(dtype=bool)
        if mask.any():
            rows = overrides.loc[mask, ["user_id", "list", "action", "crm_id"]].head(3).to_dict("records")
            raise ValueError(f"manual overrides name {what}: {rows}")


def override_problem(crm: CrmFrames, list_name: str, action: str, crm_id: str) -> str | None:
    """Why the CLI should refuse this manual action, or None: an unknown list or action, a removal
    with leads and contacts of something that is not an account, or a record the CRM data does
    not have on that list (manual adds are of accounts the rules missed, not of unknown ids)."""
    if list_name not in LISTS:
        return f"there is no list {list_name!r}; the lists are {list(LISTS)}"
    if action not in ACTIONS:
        return f"there is no action {action!r}; the actions are {list(ACTIONS)}"
    if action == CASCADE and list_name != "accounts":
        return f"{CASCADE} applies to accounts, on the 'accounts' list"
    tables = (crm.accounts,) if list_name == "accounts" else (crm.leads, crm.contacts)
    if not any(bool((table["id"] == crm_id).any()) for table in tables):
        kind = "an account" if list_name == "accounts" else "a lead or contact"
        return f"{crm_id} is not {kind} in this tenant's CRM data"
    return None


def manual_states(overrides: pd.DataFrame, subjects: Subjects, org: OrgIndex,
                  records: dict[ListName, Records]) -> dict[ListName, ManualState]:
    """The manual state of both lists for the matched users."""
    subject = subjects.codes(overrides["user_id"])
    mine = (subject >= 0) & overrides["crm_id"].notna().to_numpy()
    overrides, subject = overrides[mine], subject[mine]
    at = nanoseconds(overrides["at"])
    order = np.arange(len(overrides), dtype=np.int64)
    is_add = (overrides["action"] == "add").to_numpy(dtype=bool)
    is_cascade = (overrides["action"] == CASCADE).to_numpy(dtype=bool)
    on_list = {name: (overrides["list"] == name).to_numpy(dtype=bool) for name in LISTS}

    accounts = records["accounts"]
    rows = on_list["accounts"]
    account = accounts.codes.codes(overrides["crm_id"][rows])
    account_state = _latest(subject[rows] * len(accounts) + account, is_add[rows], at[rows], order[rows],
                            np.where(is_cascade[rows], account, -1))
    cascading = np.flatnonzero(_latest_flags(subject[rows] * len(accounts) + account, is_cascade[rows],
                                             at[rows], order[rows]))

    persons = records["leads_and_contacts"]
    rows = on_list["leads_and_contacts"]
    direct_keys = subject[rows] * len(persons) + persons.codes.codes(overrides["crm_id"][rows])
    cascade_account = account[cascading]
    known = cascade_account < org.accounts.known
    source, person = org.account_persons.follow(cascade_account[known], cascading[known])
    cascade_subject = subject[on_list["accounts"]][source]
    cascade_at = at[on_list["accounts"]][source]
    person_state = _latest(
        np.concatenate([direct_keys, cascade_subject * len(persons) + person]),
        np.concatenate([is_add[rows], np.zeros(len(person), bool)]),
        np.concatenate([at[rows], cascade_at]),
        np.concatenate([order[rows], np.full(len(person), -1, np.int64)]),  # a direct action wins a tie
        np.concatenate([np.full(int(rows.sum()), -1, np.int64), account[source]]),
    )
    return {"accounts": account_state, "leads_and_contacts": person_state}


def _latest(keys: np.ndarray, added: np.ndarray, at: np.ndarray, order: np.ndarray,
            via_account: np.ndarray) -> ManualState:
    last = _last_of_each_key(keys, at, order)
    return ManualState(keys[last], added[last], at[last], via_account[last])


def _latest_flags(keys: np.ndarray, flag: np.ndarray, at: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per row: whether it is its key's latest action and has `flag` set."""
    latest = np.zeros(len(keys), bool)
    latest[_last_of_each_key(keys, at, order)] = True
    return latest & flag


def _last_of_each_key(keys: np.ndarray, at: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Row positions of each key's latest action (by time, then by position in the table), by key."""
    if len(keys) == 0:
        return np.empty(0, np.int64)
    ranked = np.lexsort((order, at, keys))
    sorted_keys = keys[ranked]
    return ranked[np.r_[sorted_keys[1:] != sorted_keys[:-1], True]]
