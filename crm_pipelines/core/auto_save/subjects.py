"""The app users who get lists: those matched to a CRM user (L1), with the rules each selected (L4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.frames import LISTS, ListName
from crm_pipelines.core.auto_save.id_codes import IdCodes
from crm_pipelines.core.auto_save.relations import OneToMany
from crm_pipelines.core.auto_save.rules import RULE_CODES, rule_masks

SELECTION_COLUMN: dict[ListName, str] = {"accounts": "account_rules", "leads_and_contacts": "lead_rules"}


@dataclass(frozen=True)
class Subjects:
    """Subject i is the app user user_ids.ids[i], matched to CRM user code crm_user[i]."""

    user_ids: IdCodes
    crm_user: np.ndarray
    by_crm_user: OneToMany  # CRM user code -> subjects matched to it
    single: np.ndarray | None  # CRM user code -> its one subject (or -1), when none has two
    selected: dict[ListName, np.ndarray]  # per list: uint8 mask of the rules each subject selected

    def __len__(self) -> int:
        return len(self.user_ids)

    @classmethod
    def build(cls, matches: pd.DataFrame, selections: pd.DataFrame, users: IdCodes) -> Subjects:
        matches = matches.loc[matches["user_id"].notna() & matches["crm_user_id"].notna(), ["user_id", "crm_user_id"]]
        matches = matches.drop_duplicates()
        twice = matches["user_id"].duplicated(keep=False)
        if twice.any():
            clash = matches[twice].sort_values("user_id").head(4).to_dict("records")
            raise ValueError(f"user matches give an app user more than one CRM user: {clash}")
        user_ids = IdCodes.of(matches["user_id"])
        crm_user = np.empty(len(user_ids), np.int32)
        crm_user[user_ids.codes(matches["user_id"])] = users.codes(matches["crm_user_id"])
        by_crm_user = OneToMany.build(crm_user, np.arange(len(user_ids)), len(users))
        single = None
        if by_crm_user.count(np.arange(len(users))).max(initial=0) <= 1:
            single = np.full(len(users), -1, np.int64)
            single[crm_user] = np.arange(len(user_ids))

        selections = selections.drop_duplicates("user_id", keep="last")
        selections = selections[selections["user_id"].notna()]
        subject = user_ids.codes(selections["user_id"])
        selected: dict[ListName, np.ndarray] = {}
        for name in LISTS:
            codes = RULE_CODES[name]
            every_rule = np.uint8((1 << len(codes)) - 1)
            masks, missing = rule_masks(selections[SELECTION_COLUMN[name]], codes,
                                        f"rule selections' {SELECTION_COLUMN[name]}")
            chosen = np.full(len(user_ids), every_rule, np.uint8)  # no choice yet: every rule is on
            mine = subject >= 0
            chosen[subject[mine]] = np.where(missing[mine], every_rule, masks[mine])
            selected[name] = chosen
        return cls(user_ids, crm_user, by_crm_user, single, selected)

    def of_crm_users(self, user: np.ndarray, record: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(subject, record) pairs from (CRM user, record) pairs: one per app user matched to the CRM user."""
        if self.single is not None:
            subject = self.single[user]
            matched = subject >= 0
            return subject[matched], record[matched]
        record, subject = self.by_crm_user.follow(user, record)
        return subject, record

    def codes(self, user_ids: pd.Series) -> np.ndarray:
        return self.user_ids.codes(user_ids)
