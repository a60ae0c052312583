"""The words of L10: why each item was added to or removed from a list.

Added:   "added: A2 account owned by you; A3 account with you on its Account Team", "added: manual add",
         "added: in place of converted Lead 00Q...: P3 owned by you".
Removed: "removed: manual removal at 2026-06-01T09:00:00Z",
         "removed: manual removal of account 001... with its leads and contacts at ...",
         "removed: list full (cap 1000): priority rank 1001 of 1200",
         "removed: no selected rule holds any more (owner changed to 005...)", or with
         "(A1 turned off)", "(all your rules for this list are off)", "(A1 no longer holds)",
         "(manual add withdrawn)",
         "removed: the Lead was converted to Contact 003... (X5)",
         "removed: deleted in the CRM" (in its recycle bin, hard-deleted or purged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_pipelines.core.auto_save.frames import TEXT, ListName
from crm_pipelines.core.auto_save.id_codes import text_series
from crm_pipelines.core.auto_save.rules import OWNER_RULE, RULE_CODES, RULE_PHRASES, rule_tuples

MANUAL_REMOVAL, CAPPED, NO_RULE, CONVERTED, DELETED = 0, 1, 2, 3, 4


def rule_set_phrases(name: ListName) -> list[str]:
    """Per rule mask of list `name`: its rules in words, joined by "; "."""
    return ["; ".join(RULE_PHRASES[code] for code in rules) for rules in rule_tuples(RULE_CODES[name])]


def added_reasons(name: ListName, rule_set: np.ndarray, in_place_of: pd.Series | None = None) -> pd.Series:
    """`rule_set` is a rule mask, or the list's manual code (one past the largest mask);
    `in_place_of`: the converted Lead whose place each Contact takes, NA for the others."""
    table = [f"added: {words}" for words in rule_set_phrases(name)] + ["added: manual add"]
    reasons = text_series(pa.array(table, pa.large_string()).take(pa.array(rule_set.astype(np.int64))))
    if in_place_of is None or not in_place_of.notna().any():
        return reasons
    lead = in_place_of.reset_index(drop=True).astype(TEXT)
    return reasons.where(lead.isna(), "added: in place of converted Lead " + lead + ":"
                         + reasons.str.slice(len("added:"))).astype(TEXT)


@dataclass(frozen=True)
class Removals:
    """Aligned per removed item."""

    cause: np.ndarray  # MANUAL_REMOVAL, CAPPED, NO_RULE, CONVERTED or DELETED
    manual_at: np.ndarray  # int64 ns of the manual removal
    via_account: pd.Series  # id of the account removed with its leads and contacts, or NA
    rank: np.ndarray
    candidates: np.ndarray
    previous_rules: np.ndarray  # rule mask the item had
    previous_manual: np.ndarray  # bool: it was a manual add
    selected: np.ndarray  # rule mask the user has selected now
    owner_now: pd.Series  # the record's owner id now, NA if unknown
    owner_changed: np.ndarray  # bool: the user no longer owns the record
    contact_now: pd.Series  # the Contact a converted lead became, NA if unknown or not converted


def removed_reasons(name: ListName, removals: Removals, cap: int) -> pd.Series:
    n = len(removals.cause)
    if n == 0:
        return pd.Series([], dtype=TEXT)
    index = pd.RangeIndex(n)
    when = _moments(removals.manual_at)
    manual = ("removed: manual removal at " + when).where(
        removals.via_account.isna().to_numpy(),
        "removed: manual removal of account " + removals.via_account.set_axis(index) + " with its leads and contacts at " + when)
    capped = (f"removed: list full (cap {cap}): priority rank " + pd.Series(removals.rank, index=index).astype(TEXT)
              + " of " + pd.Series(removals.candidates, index=index).astype(TEXT))

    phrases = np.array(["; ".join(rules) for rules in rule_tuples(RULE_CODES[name])], dtype=object)
    turned_off = removals.previous_rules & ~removals.selected
    owner_bit = 1 << RULE_CODES[name].index(OWNER_RULE[name])
    owner_now = removals.owner_now.set_axis(index)
    detail = pd.Series(phrases[removals.previous_rules], index=index, dtype=TEXT) + " no longer holds"
    detail = detail.where(turned_off == 0, pd.Series(phrases[turned_off], index=index, dtype=TEXT) + " turned off")
    moved = (removals.previous_rules & owner_bit).astype(bool) & removals.owner_changed
    detail = detail.where(~moved, ("owner changed to " + owner_now).fillna("owner changed"))
    detail = detail.where(~removals.previous_manual, "manual add withdrawn")
    detail = detail.where(removals.selected != 0, "all your rules for this list are off")
    no_rule = "removed: no selected rule holds any more (" + detail + ")"

    converted = ("removed: the Lead was converted to Contact " + removals.contact_now.set_axis(index) + " (X5)").fillna(
        "removed: the Lead was converted (X5); its Contact is not in the CRM data yet")

    reason = no_rule.where(removals.cause != CAPPED, capped)
    reason = reason.where(removals.cause != DELETED, "removed: deleted in the CRM")
    reason = reason.where(removals.cause != CONVERTED, converted)
    return reason.where(removals.cause != MANUAL_REMOVAL, manual).astype(TEXT)


def _moments(ns: np.ndarray) -> pd.Series:
    moments = pd.Series(pd.to_datetime(ns, utc=True))  # OLDEST is NaT's own value
    return moments.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(TEXT).fillna("an unknown time")
