"""Prospects ↔ CRM Leads and Contacts (X2, X3, X5).

Order of precedence, per prospect:
1. a manual override (X3) always wins, followed through merges and conversions;
2. the stored CRM id, followed to where the record went: a merged-away record to its master
   ("merged"), a converted Lead to its Contact ("converted", X5), otherwise itself ("id");
3. when matching by email is on (F4.6) and the prospect has no stored CRM id: the live CRM
   record with the same normalized email. Deleted records never match by email. When several
   records share the email, a Contact beats a Lead (the Lead is the stale, pre-conversion copy of
   a person), then the most recently modified wins, then the smallest id; the choice is reported.

Deleted prospects match nothing, but the CRM records they held still count as having a
prospect, so the app never re-creates what a user deleted (F4.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import coded_text, normalize_emails
from crm_pipelines.core.matching.frames import empty_ambiguity_report, flag, require, utc_aware
from crm_pipelines.core.matching.lookup import positions, shared_codes
from crm_pipelines.core.matching.overrides import empty_stale_overrides, latest_overrides, stale_overrides
from crm_pipelines.core.matching.people import CONTACT, crm_people
from crm_pipelines.core.matching.successors import DELETED, LIVE, OWN, SUCCESSOR_MISSING

MATCHED_PROSPECT_COLUMNS = ("prospect_id", "crm_id", "crm_type", "matched_by", "candidates", "ambiguous")

# The prospects' columns match_prospects reads: a prospect's names, phones and fields place nothing.
PROSPECT_SOURCE_COLUMNS = ("prospect_id", "crm_id", "email", "is_deleted")

# Per-prospect outcomes are int8 codes into these tuples while a million of them are decided.
_MATCHED_BY = ("id", "merged", "converted", "email", "manual")
# matched_by of a stored id, indexed by successors' OWN, MERGED, CONVERTED.
_BY_HOW = np.array([_MATCHED_BY.index(h) for h in ("id", "merged", "converted")], dtype=np.int8)
_REASONS = ("crm_id_not_found", "crm_record_deleted", "crm_successor_not_found", "no_email",
            "no_crm_record_with_email", "email_matching_off")
_NONE = -1


@dataclass(frozen=True)
class ProspectMatches:
    """What X2 found.

    matched: one row per live prospect with a live CRM record — prospect_id, crm_id, crm_type
        (Lead|Contact), matched_by (id|email|manual|converted|merged), candidates (how many CRM
        records could have matched; 1 unless matched by a shared email), ambiguous (candidates > 1).
    ambiguous: one row per CRM record sharing an email that some prospect matched by — email,
        crm_id, crm_type, last_modified_date, rank (1 = the one chosen), prospects (how many
        prospects have that email).
    unmatched_prospects: prospect_id, reason (crm_id_not_found | crm_record_deleted |
        crm_successor_not_found | no_email | no_crm_record_with_email | email_matching_off).
    crm_without_prospect: live, unconverted Leads and Contacts no prospect holds (crm_id,
        crm_type, last_modified_date, changed_at): the candidates for F4.1. Built when asked: with
        an empty app it is the whole org, and a sync only counts it (crm_without_prospect_count).
    stale_overrides: app_id, crm_id, reason — overrides that could not apply.
    """

    matched: pd.DataFrame
    ambiguous: pd.DataFrame
    unmatched_prospects: pd.DataFrame
    stale_overrides: pd.DataFrame
    people: pd.DataFrame
    free_rows: np.ndarray

    @property
    def crm_without_prospect(self) -> pd.DataFrame:
        return crm_without_prospect(self.people, self.free_rows)

    @property
    def crm_without_prospect_count(self) -> int:
        return len(self.free_rows)


def match_prospects(
    prospects: pd.DataFrame,
    crm_leads: pd.DataFrame,
    crm_contacts: pd.DataFrame,
    overrides: pd.DataFrame | None = None,
    *,
    match_by_email: bool = True,
    people: pd.DataFrame | None = None,
) -> ProspectMatches:
    """Match every prospect to at most one live Lead or Contact.

    prospects: prospect_id, crm_id (NA when none), email, is_deleted (optional).
    crm_leads / crm_contacts: the extracted tables (id, email, is_deleted, last_modified_date,
    master_record_id; leads also is_converted, converted_contact_id).
    overrides: the match_overrides table (only entity == "prospect" rows are read).
    match_by_email: F4.6. `people` may pass `crm_people(crm_leads, crm_contacts)` already built.
    """
    require(prospects, ("prospect_id", "crm_id", "email"), "prospects")
    if people is None:
        people = crm_people(crm_leads, crm_contacts)
    prospect_ids = prospects["prospect_id"].astype("string").reset_index(drop=True)
    deleted_prospect = flag(prospects, "is_deleted")
    decided = _Decisions.none_for(len(prospects))

    stored_at = _match_by_stored_id(decided, prospects["crm_id"].astype("string").reset_index(drop=True), people)
    wants_email = (stored_at == _NOT_STORED) & ~deleted_prospect
    ambiguous_report = _empty_ambiguous()
    if match_by_email and wants_email.any():
        ambiguous_report = _match_by_email(decided, np.flatnonzero(wants_email), prospects, people)
    elif wants_email.any():
        decided.reason[wants_email] = _REASONS.index("email_matching_off")
    stale = _apply_manual_overrides(decided, latest_overrides(overrides, "prospect"), prospect_ids, people)

    matched_mask = (decided.final >= 0) & ~deleted_prospect
    return ProspectMatches(
        matched=_matched_report(decided, np.flatnonzero(matched_mask), prospect_ids, people),
        ambiguous=ambiguous_report,
        unmatched_prospects=_unmatched_report(decided, np.flatnonzero(~matched_mask & ~deleted_prospect), prospect_ids),
        stale_overrides=stale,
        people=people,
        free_rows=free_people_rows(people, np.maximum(stored_at, -1), decided.final),
    )


# A prospect with no stored CRM id, as opposed to one whose id is not found (-1).
_NOT_STORED = -2


@dataclass
class _Decisions:
    """Per prospect, as the rules decide it: the chosen people row (-1: none), how, among how many
    candidates, and why not when not."""

    final: np.ndarray
    matched_by: np.ndarray
    candidates: np.ndarray
    reason: np.ndarray

    @classmethod
    def none_for(cls, n: int) -> _Decisions:
        return cls(final=np.full(n, -1, dtype=np.int64), matched_by=np.full(n, _NONE, dtype=np.int8),
                   candidates=np.ones(n, dtype=np.int64), reason=np.full(n, _NONE, dtype=np.int8))


def _match_by_stored_id(decided: _Decisions, stored: pd.Series, people: pd.DataFrame) -> np.ndarray:
    """Rule 2: the stored CRM id, followed to where the record went. Returns where each stored id
    is in `people` (-1 when not found, _NOT_STORED when the prospect has none)."""
    at = positions(stored, people["crm_id"])
    has_stored = stored.notna().to_numpy()
    found = at >= 0
    # -1 (not found) reads the appended -1, which also keeps an empty people table indexable.
    fate = np.append(people["fate"].to_numpy(), -1)[at]
    by_id = found & (fate == LIVE)
    decided.final[by_id] = people["final"].to_numpy()[at[by_id]]
    decided.matched_by[by_id] = _BY_HOW[people["how"].to_numpy()[at[by_id]]]
    decided.reason[has_stored & ~found] = _REASONS.index("crm_id_not_found")
    decided.reason[found & (fate == DELETED)] = _REASONS.index("crm_record_deleted")
    decided.reason[found & (fate == SUCCESSOR_MISSING)] = _REASONS.index("crm_successor_not_found")
    return np.where(has_stored, at, _NOT_STORED)


def _match_by_email(decided: _Decisions, rows: np.ndarray, prospects: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Rule 3 (F4.6) for the prospects at `rows`; returns the ambiguity report."""
    emails = normalize_emails(prospects["email"].iloc[rows].reset_index(drop=True))
    chosen, count, ambiguous_report = _by_email(emails, people)
    hit = chosen >= 0
    decided.final[rows[hit]] = chosen[hit]
    decided.matched_by[rows[hit]] = _MATCHED_BY.index("email")
    decided.candidates[rows[hit]] = count[hit]
    no_email = emails.isna().to_numpy()
    decided.reason[rows[no_email]] = _REASONS.index("no_email")
    decided.reason[rows[~hit & ~no_email]] = _REASONS.index("no_crm_record_with_email")
    return ambiguous_report


def _apply_manual_overrides(decided: _Decisions, manual: pd.DataFrame, prospect_ids: pd.Series,
                            people: pd.DataFrame) -> pd.DataFrame:
    """Rule 1 (X3): a manual override wins where its CRM record is live; returns the stale ones."""
    if manual.empty:
        return empty_stale_overrides()
    o_prospect = positions(manual["app_id"], prospect_ids)
    o_at = positions(manual["crm_id"], people["crm_id"])
    o_fate = np.append(people["fate"].to_numpy(), -1)[o_at]
    usable = (o_prospect >= 0) & (o_fate == LIVE)
    target = o_prospect[usable]
    decided.final[target] = people["final"].to_numpy()[o_at[usable]]
    decided.matched_by[target] = _MATCHED_BY.index("manual")
    decided.candidates[target] = 1
    decided.reason[target] = _NONE
    return stale_overrides(manual, o_prospect >= 0, o_fate == LIVE)


def _matched_report(decided: _Decisions, rows: np.ndarray, prospect_ids: pd.Series, people: pd.DataFrame) -> pd.DataFrame:
    final = decided.final[rows]
    return pd.DataFrame({
        "prospect_id": prospect_ids.iloc[rows].reset_index(drop=True),
        "crm_id": people["crm_id"].iloc[final].reset_index(drop=True),
        "crm_type": people["crm_type"].iloc[final].reset_index(drop=True),
        "matched_by": coded_text(decided.matched_by[rows], _MATCHED_BY),
        "candidates": decided.candidates[rows],
        "ambiguous": decided.candidates[rows] > 1,
    })


def _unmatched_report(decided: _Decisions, rows: np.ndarray, prospect_ids: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "prospect_id": prospect_ids.iloc[rows].reset_index(drop=True),
        "reason": coded_text(decided.reason[rows], _REASONS),
    })


def crm_without_prospect(people: pd.DataFrame, free_rows: np.ndarray) -> pd.DataFrame:
    """The people rows `free_rows` as a report: crm_id, crm_type, last_modified_date, changed_at (UTC)."""
    free = people.iloc[free_rows]
    return pd.DataFrame({
        "crm_id": free["crm_id"].to_numpy(),
        "crm_type": free["crm_type"].to_numpy(),
        "last_modified_date": utc_aware(free["last_modified_date"].to_numpy()),
        "changed_at": utc_aware(free["changed_at"].to_numpy()),
    }).astype({"crm_id": "string", "crm_type": "string"})


def free_people_rows(people: pd.DataFrame, stored_at: np.ndarray, matched_at: np.ndarray) -> np.ndarray:
    """Positions in `people` of the live, unconverted records no prospect holds. `stored_at`:
    where each prospect's stored CRM id is in `people` (-1 when nowhere), deleted prospects
    included; `matched_at`: where each matched CRM id is."""
    own_live = (people["fate"].to_numpy() == LIVE) & (people["how"].to_numpy() == OWN)
    held = np.zeros(len(people), dtype=bool)
    held[people["final"].to_numpy()[_found(stored_at)]] = True
    held[_found(matched_at)] = True
    return np.flatnonzero(own_live & ~held)


def _found(at: np.ndarray) -> np.ndarray:
    return at[at >= 0]


def _by_email(emails: pd.Series, people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """For each email: the chosen final people row (-1 when none), how many distinct live records
    carry it, and the ambiguity report."""
    eligible = np.flatnonzero(
        ~people["is_deleted"].to_numpy() & (people["fate"].to_numpy() == LIVE) & people["email"].notna().to_numpy()
    )
    (wanted, offered), distinct = shared_codes(emails, people["email"].iloc[eligible].reset_index(drop=True))
    targets = people["final"].to_numpy()[eligible]
    # One candidate per (email, final record): a converted Lead and its Contact are one person.
    pair = offered * (len(people) + 1) + targets
    _, first = np.unique(pair, return_index=True)
    code, target = offered[first], targets[first]
    count = np.bincount(code, minlength=distinct + 1)

    best = np.full(distinct + 1, -1, dtype=np.int64)
    single = count[code] == 1
    best[code[single]] = target[single]
    shared = ~single
    ranked = pd.DataFrame({
        "code": code[shared],
        "final": target[shared],
        "is_lead": people["crm_type"].to_numpy()[target[shared]] != CONTACT,
        "last_modified_date": people["last_modified_date"].to_numpy()[target[shared]],
        "crm_id": people["crm_id"].iloc[target[shared]].to_numpy(),
    }).sort_values(["code", "is_lead", "last_modified_date", "crm_id"],
                   ascending=[True, True, False, True], kind="stable", na_position="last")
    ranked["rank"] = ranked.groupby("code").cumcount() + 1
    top = ranked.loc[ranked["rank"] == 1]
    best[top["code"].to_numpy()] = top["final"].to_numpy()

    chosen = best[wanted]
    report = _ambiguity_report(ranked, wanted, emails, distinct, people)
    return chosen, count[wanted], report


def _ambiguity_report(
    ranked: pd.DataFrame, wanted: np.ndarray, emails: pd.Series, distinct: int, people: pd.DataFrame
) -> pd.DataFrame:
    demand = np.bincount(wanted[wanted >= 0], minlength=distinct + 1)
    used = ranked.loc[demand[ranked["code"].to_numpy()] > 0]
    if used.empty:
        return _empty_ambiguous()
    email_of = np.full(distinct + 1, -1, dtype=np.int64)
    present = np.flatnonzero(wanted >= 0)
    email_of[wanted[present]] = present
    return pd.DataFrame({
        "email": emails.iloc[email_of[used["code"].to_numpy()]].to_numpy(),
        "crm_id": used["crm_id"].to_numpy(),
        "crm_type": people["crm_type"].iloc[used["final"].to_numpy()].to_numpy(),
        "last_modified_date": utc_aware(used["last_modified_date"].to_numpy()),
        "rank": used["rank"].to_numpy(),
        "prospects": demand[used["code"].to_numpy()],
    }).astype({"email": "string", "crm_id": "string", "crm_type": "string"}).reset_index(drop=True)



def _empty_ambiguous() -> pd.DataFrame:
    return empty_ambiguity_report(("email", "crm_id", "crm_type"), "prospects")
