"""Why a CRM record is, or is not, on a user's list (L10; the CLI's `lists explain`).

"On the list" is read from the stored lists (the inputs' previous_lists, i.e. the last rebuild),
so the answer matches what the user sees. For a record that is not on it, the user's part of the
rebuild is run again as of `now` to tell which reason holds: a frozen tenant, no CRM match, a
record the CRM does not have, a manual removal, a CRM delete, no rule (and which unselected rules
would match), a full list (with the record's priority rank), or, when the data changed since the
last rebuild, that the next rebuild adds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.candidates import find, rule_candidates
from crm_pipelines.core.auto_save.frames import (
    LIST_CAP,
    LIST_TITLES,
    RECORD_TYPES,
    AutoSaveInputs,
    AutoSaveResult,
    ListName,
)
from crm_pipelines.core.auto_save.org_index import KEY_PREFIXES
from crm_pipelines.core.auto_save.rebuild import (
    Prepared,
    as_utc,
    frozen_reason,
    normalised_lists,
    prepare,
    rebuild_prepared,
)
from crm_pipelines.core.auto_save.rules import RULE_CODES, RULE_PHRASES

Verdict = Literal["on_list", "will_be_added", "removed_manually", "deleted", "converted", "no_rule",
                  "rules_not_selected", "capped_out", "no_crm_match", "frozen", "unknown_record"]


@dataclass(frozen=True)
class Explanation:
    user_id: str
    crm_id: str
    list: ListName | None
    on_list: bool
    verdict: Verdict
    sentence: str

    def __str__(self) -> str:
        return self.sentence


def explain(inputs: AutoSaveInputs, user_id: str, crm_id: str, now: datetime | pd.Timestamp, *,
            cap: int = LIST_CAP) -> Explanation:
    mine = inputs.for_users([user_id])
    stored = normalised_lists(mine.previous_lists)
    stored = stored[(stored["crm_id"] == crm_id).to_numpy(dtype=bool)]
    record_type, in_crm = _record_type(inputs, crm_id, stored)
    name: ListName | None = None
    if record_type is not None:
        name = "accounts" if record_type == "Account" else "leads_and_contacts"
    asked = _Question(
        user_id, crm_id, name, what=f"{record_type or 'Record'} {crm_id}",
        where=f"{user_id}'s {LIST_TITLES[name]} list" if name else f"{user_id}'s lists",
        frozen=frozen_reason(inputs), matched=bool(mine.user_matches["crm_user_id"].notna().any()),
        moment=as_utc(now), cap=cap)
    if len(stored):
        return asked.answer("on_list", _on_the_list(asked, mine, stored.iloc[0]), on_list=True)
    return _not_on_the_list(asked, mine, in_crm)


@dataclass(frozen=True)
class _Question:
    """Which record on whose list, and what holds for the whole tenant and user."""

    user_id: str
    crm_id: str
    name: ListName | None
    what: str
    where: str
    frozen: str | None
    matched: bool
    moment: pd.Timestamp
    cap: int

    @property
    def missing(self) -> str:
        return f"{self.what} is not on {self.where}"

    def answer(self, verdict: Verdict, sentence: str, on_list: bool = False) -> Explanation:
        return Explanation(self.user_id, self.crm_id, self.name, on_list, verdict, sentence)


def _on_the_list(asked: _Question, mine: AutoSaveInputs, row: pd.Series) -> str:
    """Why it is on the list, and whether it stays after the next rebuild."""
    sentence = f"{asked.what} is on {asked.where} {_why_on(row)}, added at {_moment(row['added_at'])}."
    if row["is_deleted"]:
        sentence += (" It is not in the CRM data (a record the sync has not brought yet); it stays, "
                     "flagged as not live.")
    if asked.frozen:
        return sentence + f" The list is frozen: {asked.frozen}."
    if not asked.matched:
        return sentence + f" {asked.user_id} is no longer matched to a CRM user, so the list stays as it was."
    result = rebuild_prepared(prepare(mine), asked.moment, asked.cap, False)
    leaving = result.changes[(result.changes["crm_id"] == asked.crm_id).to_numpy(dtype=bool)
                             & (result.changes["change"] == "removed").to_numpy(dtype=bool)]
    if len(leaving):
        sentence += f" The next rebuild will remove it: {leaving['reason'].iloc[0].removeprefix('removed: ')}."
    return sentence


def _not_on_the_list(asked: _Question, mine: AutoSaveInputs, in_crm: bool) -> Explanation:
    missing, user_id = asked.missing, asked.user_id
    if asked.frozen:
        return asked.answer("frozen", f"{missing}: {asked.frozen}, so lists stay as they were and nothing is added.")
    if not asked.matched:
        return asked.answer("no_crm_match", f"{missing}: {user_id} is not matched to a CRM user, and only matched "
                                            "users get auto-save lists.")
    if not in_crm or asked.name is None:
        return asked.answer("unknown_record", f"{missing}: there is no such record in this tenant's CRM data.")
    prepared = prepare(mine)
    result = rebuild_prepared(prepared, asked.moment, asked.cap, True)
    record = int(prepared.records[asked.name].codes.codes([asked.crm_id])[0])
    key = np.array([record], np.int64)  # the only user is subject 0
    removed = _removed_manually(asked, prepared, key)
    if removed is not None:
        return removed
    gone = _no_list_item(asked, prepared, record, key)
    if gone is not None:
        return gone
    return _as_the_rebuild_sees_it(asked, prepared, result, key)


def _removed_manually(asked: _Question, prepared: Prepared, key: np.ndarray) -> Explanation | None:
    state = prepared.manual[asked.name]
    found, at_row = find(state.keys, key)
    at, via_account = state.details(key)
    if not found[0] or state.added[at_row[0]]:
        return None
    missing, user_id = asked.missing, asked.user_id
    when = _moment(pd.Timestamp(int(at[0]), tz="UTC"))
    if via_account[0] >= 0:
        account = prepared.org.accounts.codes.take(via_account)[0].as_py()
        return asked.answer("removed_manually", f"{missing}: {user_id} removed account {account} with its leads "
                                                f"and contacts at {when}, and auto-save never adds them back.")
    return asked.answer("removed_manually", f"{missing}: {user_id} removed it by hand at {when}, and auto-save "
                                            "never adds it back.")


def _no_list_item(asked: _Question, prepared: Prepared, record: int, key: np.ndarray) -> Explanation | None:
    """A record deleted in the CRM, or a converted Lead, is no list item."""
    name, missing = asked.name, asked.missing
    records = prepared.records[name]
    if records.deleted[record]:
        return asked.answer("deleted", f"{missing}: it was deleted in the CRM, and a deleted record is on no list; "
                                       "it may come back if restored from the recycle bin.")
    if prepared.org.converted(name, key)[0]:
        contact = records.codes.take(prepared.org.converted_contact(name, key))[0].as_py()
        became = f"Contact {contact}" if contact else "a Contact not in the CRM data yet"
        return asked.answer("converted", f"{missing}: the Lead was converted to {became}, and a converted Lead is "
                                         "never a list item (X5); the person is on the lists as the Contact.")
    return None


def _as_the_rebuild_sees_it(asked: _Question, prepared: Prepared, result: AutoSaveResult,
                            key: np.ndarray) -> Explanation:
    """Added by the next rebuild, capped out, or held by no selected rule (and which would hold it)."""
    name, crm_id, missing, user_id = asked.name, asked.crm_id, asked.missing, asked.user_id
    coming = result.lists[(result.lists["crm_id"] == crm_id).to_numpy(dtype=bool)]
    if len(coming):
        return asked.answer("will_be_added", f"{missing} yet: the next rebuild adds it {_why_on(coming.iloc[0])}.")
    capped = result.capped_out[(result.capped_out["crm_id"] == crm_id).to_numpy(dtype=bool)]
    if len(capped):
        row = capped.iloc[0]
        return asked.answer("capped_out", f"{missing}: it qualifies ({_rules_in_words(row['rules'])}), but the list "
                                          f"is full: it ranks {row['rank']} of {row['candidates']} by priority and "
                                          f"the list keeps {asked.cap}.")
    holding = rule_candidates(prepared.org, prepared.subjects, name, len(prepared.records[name]), selected_only=False)
    found, mask = holding.lookup(key)
    codes = RULE_CODES[name]
    if not found[0]:
        return asked.answer("no_rule", f"{missing}: none of the rules {', '.join(codes)} matches it for {user_id}.")
    would = tuple(code for bit, code in enumerate(codes) if int(mask[0]) >> bit & 1)
    return asked.answer("rules_not_selected", f"{missing}: no rule {user_id} selected matches it; "
                                              f"{_rules_in_words(would)} would, if selected.")


def _record_type(inputs: AutoSaveInputs, crm_id: str, stored: pd.DataFrame) -> tuple[str | None, bool]:
    """The record's type, and whether the CRM data has it."""
    for frame, record_type in ((inputs.crm.accounts, "Account"), (inputs.crm.leads, "Lead"),
                               (inputs.crm.contacts, "Contact")):
        if (frame["id"] == crm_id).any():
            return record_type, True
    if len(stored):
        return str(stored["record_type"].iloc[0]), False
    by_prefix = KEY_PREFIXES.get(crm_id[:3])
    return (RECORD_TYPES[by_prefix] if by_prefix is not None else None), False


def _why_on(row: pd.Series) -> str:
    rules = tuple(row["rules"])
    if rules == ("manual",):
        return "because it was added by hand"
    return f"because of {_rules_in_words(rules)}"


def _rules_in_words(rules: tuple[str, ...]) -> str:
    return "; ".join(RULE_PHRASES.get(code, code) for code in rules)


def _moment(value: object) -> str:
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
