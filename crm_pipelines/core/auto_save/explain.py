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
from crm_pipelines.core.auto_save.frames import LIST_CAP, LIST_TITLES, RECORD_TYPES, AutoSaveInputs, ListName
from crm_pipelines.core.auto_save.org_index import KEY_PREFIXES
from crm_pipelines.core.auto_save.rebuild import as_utc, frozen_reason, normalised_lists, prepare, rebuild_prepared
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
    moment = as_utc(now)
    mine = inputs.for_users([user_id])
    stored = normalised_lists(mine.previous_lists)
    stored = stored[(stored["crm_id"] == crm_id).to_numpy(dtype=bool)]
    record_type, in_crm = _record_type(inputs, crm_id, stored)
    name: ListName | None = None
    if record_type is not None:
        name = "accounts" if record_type == "Account" else "leads_and_contacts"
    what = f"{record_type or 'Record'} {crm_id}"
    where = f"{user_id}'s {LIST_TITLES[name]} list" if name else f"{user_id}'s lists"
    frozen = frozen_reason(inputs)
    matches = mine.user_matches
    matched = bool(matches["crm_user_id"].notna().any())

    def answer(verdict: Verdict, sentence: str, on_list: bool = False) -> Explanation:
        return Explanation(user_id, crm_id, name, on_list, verdict, sentence)

    if len(stored):
        row = stored.iloc[0]
        sentence = f"{what} is on {where} {_why_on(row)}, added at {_moment(row['added_at'])}."
        if row["is_deleted"]:
            sentence += (" It is not in the CRM data (a record the sync has not brought yet); it stays, "
                         "flagged as not live.")
        if frozen:
            sentence += f" The list is frozen: {frozen}."
        elif not matched:
            sentence += f" {user_id} is no longer matched to a CRM user, so the list stays as it was."
        else:
            result = rebuild_prepared(prepare(mine), moment, cap, False)
            leaving = result.changes[(result.changes["crm_id"] == crm_id).to_numpy(dtype=bool)
                                     & (result.changes["change"] == "removed").to_numpy(dtype=bool)]
            if len(leaving):
                sentence += f" The next rebuild will remove it: {leaving['reason'].iloc[0].removeprefix('removed: ')}."
        return answer("on_list", sentence, on_list=True)

    missing = f"{what} is not on {where}"
    if frozen:
        return answer("frozen", f"{missing}: {frozen}, so lists stay as they were and nothing is added.")
    if not matched:
        return answer("no_crm_match", f"{missing}: {user_id} is not matched to a CRM user, and only matched "
                                      "users get auto-save lists.")
    if not in_crm or name is None:
        return answer("unknown_record", f"{missing}: there is no such record in this tenant's CRM data.")

    prepared = prepare(mine)
    result = rebuild_prepared(prepared, moment, cap, True)
    records = prepared.records[name]
    record = int(records.codes.codes([crm_id])[0])
    key = np.array([record], np.int64)  # the only user is subject 0
    state = prepared.manual[name]
    found, at_row = find(state.keys, key)
    at, via_account = state.details(key)
    if found[0] and not state.added[at_row[0]]:
        when = _moment(pd.Timestamp(int(at[0]), tz="UTC"))
        if via_account[0] >= 0:
            account = prepared.org.accounts.codes.take(via_account)[0].as_py()
            return answer("removed_manually", f"{missing}: {user_id} removed account {account} with its leads "
                                              f"and contacts at {when}, and auto-save never adds them back.")
        return answer("removed_manually", f"{missing}: {user_id} removed it by hand at {when}, and auto-save "
                                          "never adds it back.")
    if records.deleted[record]:
        return answer("deleted", f"{missing}: it was deleted in the CRM, and a deleted record is on no list; "
                                     "it may come back if restored from the recycle bin.")
    if prepared.org.converted(name, key)[0]:
        contact = records.codes.take(prepared.org.converted_contact(name, key))[0].as_py()
        became = f"Contact {contact}" if contact else "a Contact not in the CRM data yet"
        return answer("converted", f"{missing}: the Lead was converted to {became}, and a converted Lead is never "
                                   "a list item (X5); the person is on the lists as the Contact.")

    coming = result.lists[(result.lists["crm_id"] == crm_id).to_numpy(dtype=bool)]
    if len(coming):
        return answer("will_be_added", f"{missing} yet: the next rebuild adds it {_why_on(coming.iloc[0])}.")
    capped = result.capped_out[(result.capped_out["crm_id"] == crm_id).to_numpy(dtype=bool)]
    if len(capped):
        row = capped.iloc[0]
        return answer("capped_out", f"{missing}: it qualifies ({_rules_in_words(row['rules'])}), but the list is "
                                    f"full: it ranks {row['rank']} of {row['candidates']} by priority and the list "
                                    f"keeps {cap}.")
    holding = rule_candidates(prepared.org, prepared.subjects, name, len(records), selected_only=False)
    found, mask = holding.lookup(key)
    codes = RULE_CODES[name]
    if not found[0]:
        return answer("no_rule", f"{missing}: none of the rules {', '.join(codes)} matches it for {user_id}.")
    would = tuple(code for bit, code in enumerate(codes) if int(mask[0]) >> bit & 1)
    return answer("rules_not_selected", f"{missing}: no rule {user_id} selected matches it; "
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
