"""The daily rebuild of every matched user's two lists: what stays, what goes, what comes (L4-L10).

For each matched user and list, every record falls in one of these cases:
- the user's latest manual action on it is a removal (L7): it is not on the list, ever, whatever
  the rules say;
- the user's latest manual action is an add (L8): it is on the list, rules ("manual",), source
  manual, first in line for the cap;
- the CRM has deleted it (the warehouse flags it deleted: in the recycle bin, hard-deleted or
  purged): it is on no list, auto-saved or added by hand alike, since the record it stood for is
  gone; one that was on a list leaves it with the reason "deleted in the CRM" and its slot is free
  for the cap. This amends L6, which kept such items flagged deleted. A record undeleted since is
  live again and comes back by the rules, or as the manual add still in force: a deletion is not a
  manual removal, so L7 does not keep it off;
- it was on the list and is not in the CRM data at all (a manual add of a record the sync has not
  brought yet): it stays, flagged as not live, with the rules it had;
- it was on the list and a selected rule still holds: it stays, with the rules that hold now and
  the time it was first added (L6, L10);
- it was on the list and no selected rule holds any more: it goes. An owner change is one such
  case: A2 or P3 stops holding for the old owner, and the record joins the new owner's list at
  the same rebuild if their rules take it. With all of a user's rules off, no rule holds, so all
  auto items go and manual ones stay: the literal reading of L6 and L4's "nothing new is added";
- it was not on the list and a selected rule holds: it is added, if it fits under the cap;
- it is a converted lead (X5): it is on no list, whatever the rules or a manual add say; one that
  was on a list leaves it, saying so, and its Contact takes its place: the Contact counts as
  having been on the list since the lead was added (it keeps the lead's place under the cap),
  and stays while a selected rule holds for it. A manual removal of the lead applies to its
  Contact.
The cap and the order in which items are kept are in `priority`.

A tenant whose auto-save switch is off (L4), or which is disconnected from its CRM (L9, T3), keeps
every list exactly as it was and records no change. An app user with no CRM match gets no lists
(L1); one who had lists and lost the match keeps them as they were, since no rule can be read for
them and their manual items must not be lost. List building only reads; nothing here can write
to the CRM (L11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save.candidates import distinct, find, mark, rule_candidates
from crm_pipelines.core.auto_save.frames import (
    LIST_CAP,
    LIST_COLUMNS,
    LISTS,
    MOMENT,
    TEXT,
    AutoSaveInputs,
    AutoSaveResult,
    ListName,
    empty_capped_out,
    empty_changes,
)
from crm_pipelines.core.auto_save.id_codes import text_series
from crm_pipelines.core.auto_save.list_rows import capped_rows, change_rows, list_rows
from crm_pipelines.core.auto_save.org_index import OrgIndex, Records
from crm_pipelines.core.auto_save.overrides import ManualState, check_overrides, manual_states
from crm_pipelines.core.auto_save.priority import (
    MANUAL,
    NEW,
    STICKY,
    STICKY_ABSENT,
    Ranking,
    modification_ranks,
    rank_items,
)
from crm_pipelines.core.auto_save.reasons import (
    CAPPED,
    CONVERTED,
    DELETED,
    MANUAL_REMOVAL,
    NO_RULE,
    Removals,
    added_reasons,
    removed_reasons,
)
from crm_pipelines.core.auto_save.rules import OPPORTUNITY_RULE, RULE_CODES, rule_masks
from crm_pipelines.core.auto_save.subjects import Subjects
from crm_pipelines.core.auto_save.summary import summary_of_items, summary_of_rows

def rebuild_lists(inputs: AutoSaveInputs, now: datetime | pd.Timestamp, *, cap: int = LIST_CAP,
                  with_capped_out: bool = False) -> AutoSaveResult:
    """Rebuild both lists of every matched user of one tenant, as of `now` (tz-aware)."""
    if cap < 0:
        raise ValueError(f"the list cap must be zero or more, not {cap}")
    moment = as_utc(now)
    frozen = frozen_reason(inputs)
    if frozen is not None:
        previous = normalised_lists(inputs.previous_lists)
        return AutoSaveResult(previous, empty_changes(), summary_of_rows(previous), empty_capped_out(), frozen)
    return rebuild_prepared(prepare(inputs), moment, cap, with_capped_out)


def needs_the_crm(user_matches: pd.DataFrame, previous_lists: pd.DataFrame) -> bool:
    """Whether a rebuild's outcome can depend on the CRM's tables. Not when no app user is matched
    to a CRM user and no list holds an item: there is then nobody to build a list for (L1) and no
    list to keep, so the rebuild gives no list, no change and no total whatever the CRM holds, and
    the CRM's tables (every Lead, Contact and Account of the org) need not be read."""
    return bool(user_matches["crm_user_id"].notna().any()) or len(previous_lists) > 0


@dataclass(frozen=True)
class Prepared:
    """A rebuild's inputs turned into codes: the org, the users, each list's records, manual state."""

    org: OrgIndex
    subjects: Subjects
    records: dict[ListName, Records]
    manual: dict[ListName, ManualState]
    previous: pd.DataFrame  # normalised previous rows
    matched: np.ndarray  # per previous row: its user is matched


def prepare(inputs: AutoSaveInputs) -> Prepared:
    check_overrides(inputs.manual_overrides)
    org = OrgIndex.build(inputs.crm, inputs.user_matches["crm_user_id"])
    previous = _with_contacts_of_converted_leads(normalised_lists(inputs.previous_lists), org)
    subjects = Subjects.build(inputs.user_matches, inputs.rule_selections, org.users)
    matched = subjects.codes(previous["user_id"]) >= 0
    overrides = _overrides_on_contacts(inputs.manual_overrides[subjects.codes(inputs.manual_overrides["user_id"]) >= 0],
                                       org)
    records = {
        name: org.records(name).with_gone(pd.concat([
            previous.loc[matched & (previous["list"] == name).to_numpy(), "crm_id"],
            overrides.loc[(overrides["list"] == name).to_numpy(), "crm_id"].astype(TEXT),
        ]))
        for name in LISTS
    }
    return Prepared(org, subjects, records, manual_states(overrides, subjects, org, records), previous, matched)


def rebuild_prepared(prepared: Prepared, now: pd.Timestamp, cap: int, with_capped_out: bool) -> AutoSaveResult:
    previous, matched = prepared.previous, prepared.matched
    inherited = previous[FROM_LEAD].notna().to_numpy(dtype=bool)
    outcomes = [
        _rebuild_list(name, prepared.org, prepared.subjects, prepared.records[name], prepared.manual[name],
                      previous[matched & (previous["list"] == name).to_numpy()], now, cap, with_capped_out)
        for name in LISTS
    ]
    unmatched = previous.loc[~matched & ~inherited, list(LIST_COLUMNS)]
    return AutoSaveResult(
        lists=pd.concat([o.rows for o in outcomes] + [unmatched], ignore_index=True),
        changes=pd.concat([o.changes for o in outcomes], ignore_index=True),
        summary=pd.concat([o.summary for o in outcomes] + [summary_of_rows(unmatched)], ignore_index=True),
        capped_out=pd.concat([o.capped_out for o in outcomes], ignore_index=True),
    )


def frozen_reason(inputs: AutoSaveInputs) -> str | None:
    if not inputs.enabled:
        return "auto-save is switched off for this tenant"
    if not inputs.connected:
        return "the tenant is disconnected from its CRM"
    return None


def normalised_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """List rows with exactly LIST_COLUMNS and their dtypes."""
    rows = frame.loc[:, list(LIST_COLUMNS)].reset_index(drop=True)
    rows = rows.astype({c: TEXT for c in ("user_id", "list", "crm_id", "record_type", "source")})
    rows["added_at"] = pd.to_datetime(rows["added_at"], utc=True).astype(MOMENT)
    rows["is_deleted"] = rows["is_deleted"].fillna(False).astype(bool)
    rows["rules"] = rows["rules"].astype(object)
    unknown = ~rows["list"].isin(LISTS).to_numpy(dtype=bool)
    if unknown.any():
        raise ValueError(f"previous lists have rows on unknown lists {sorted(set(rows['list'][unknown]))}; "
                         f"the lists are {list(LISTS)}")
    return rows


@dataclass(frozen=True)
class _ListOutcome:
    rows: pd.DataFrame
    changes: pd.DataFrame
    summary: pd.DataFrame
    capped_out: pd.DataFrame


def _rebuild_list(name: ListName, org: OrgIndex, subjects: Subjects, records: Records, manual: ManualState,
                  previous: pd.DataFrame, now: pd.Timestamp, cap: int, with_capped_out: bool) -> _ListOutcome:
    items = _Items.gather(name, org, subjects, records, manual, _Previous.of(previous, subjects, records, name))
    ranking = rank_items(items.subject, items.tier, items.record, modification_ranks(records.modified),
                         items.on_opportunity, records.owner[items.record] == subjects.crm_user[items.subject],
                         len(subjects), cap)
    items.on_opportunity = None  # the ranking was its only reader; a large org's lists are tight on memory

    on = np.flatnonzero(ranking.kept)
    on_set = items.rule_set_of(on)
    on_was, on_previous = find(items.before.keys, items.key_of(on))
    manual_at, _ = manual.details(items.key_of(on))
    added_at = np.where(items.tier[on] == MANUAL, manual_at, now.value)
    added_at[on_was] = items.before.added_at[on_previous[on_was]]
    rows = list_rows(name, subjects, records, items.subject[on], items.record[on], on_set, added_at)

    lead_replaced = np.full(len(on), -1, np.int64)
    lead_replaced[on_was] = items.before.from_lead[on_previous[on_was]]
    new_here = ~on_was | (lead_replaced >= 0)
    added = on[new_here]
    removed = np.flatnonzero(items.was_on & ~ranking.kept & ~items.in_place_of_lead)
    changes = pd.concat([
        change_rows(name, subjects, records, items.subject[added], items.record[added], "added",
                    added_reasons(name, on_set[new_here], text_series(records.codes.take(lead_replaced[new_here]))),
                    now),
        change_rows(name, subjects, records, items.subject[removed], items.record[removed], "removed",
                    removed_reasons(name, _removals(name, items, removed, ranking, org, subjects, records, manual), cap), now),
    ], ignore_index=True)

    summary = _summary(name, items, subjects, records, ranking, on, on_set, added, removed)
    capped_out = empty_capped_out()
    if with_capped_out:
        capped = np.flatnonzero(~ranking.kept & (items.tier >= 0))
        capped_out = capped_rows(name, subjects, records, items.subject[capped], items.record[capped],
                                 items.rule_set_of(capped), ranking.rank[capped], ranking.candidates[items.subject[capped]])
    return _ListOutcome(rows, changes, summary, capped_out)


@dataclass
class _Items:
    """Every item one list could hold: each rule candidate, plus previous items and manual adds that
    are not candidates, as (subject, record) codes with what the rules and the user said of them.

    Most arrays here are as long as the candidates (tens of millions in a large org), so they are
    kept few and narrow; the detailed work happens on the kept and removed items only."""

    stride: int
    manual_set: int  # the rule-set code of a manual item
    before: _Previous
    subject: np.ndarray
    record: np.ndarray
    rule_mask: np.ndarray
    tier: np.ndarray
    was_on: np.ndarray
    in_place_of_lead: np.ndarray
    removed_by_hand: np.ndarray
    converted: np.ndarray
    deleted: np.ndarray  # flagged deleted in the CRM data: on no list
    on_opportunity: np.ndarray | None

    @classmethod
    def gather(cls, name: ListName, org: OrgIndex, subjects: Subjects, records: Records, manual: ManualState,
               before: _Previous) -> _Items:
        stride = len(records)
        candidates = rule_candidates(org, subjects, name, stride)
        extra = np.concatenate([before.keys, manual.keys[manual.added]])
        extra = distinct(extra[~find(candidates.keys, extra)[0]])
        at = np.searchsorted(candidates.keys, extra)
        keys = np.insert(candidates.keys, at, extra)
        rule_mask = np.insert(candidates.rules, at, np.uint8(0))
        del candidates, extra, at

        subject = (keys // stride).astype(np.int32)
        record = (keys - subject.astype(np.int64) * stride).astype(np.int32)
        was_on = mark(keys, before.keys)
        removed_by_hand = mark(keys, manual.keys[~manual.added])
        deleted = records.deleted[record] & (record < records.known)  # flagged deleted in the CRM data
        absent = record >= records.known
        converted = org.converted(name, record)
        tier = np.full(len(subject), -1, np.int8)
        tier[rule_mask != 0] = NEW
        tier[was_on & (rule_mask != 0)] = STICKY
        tier[was_on & absent] = STICKY_ABSENT
        tier[mark(keys, manual.keys[manual.added])] = MANUAL
        tier[removed_by_hand] = -1
        tier[converted] = -1
        tier[deleted] = -1
        return cls(
            stride=stride, manual_set=1 << len(RULE_CODES[name]), before=before, subject=subject, record=record,
            rule_mask=rule_mask, tier=tier, was_on=was_on, in_place_of_lead=mark(keys, before.keys[before.from_lead >= 0]),
            removed_by_hand=removed_by_hand, converted=converted, deleted=deleted,
            on_opportunity=mark(keys, rule_candidates(org, subjects, name, stride, rules=(OPPORTUNITY_RULE[name],),
                                                      selected_only=False).keys),
        )

    def key_of(self, items: np.ndarray) -> np.ndarray:
        return self.subject[items].astype(np.int64) * self.stride + self.record[items]

    def rule_set_of(self, items: np.ndarray) -> np.ndarray:
        """Manual items have the manual code, those not in the CRM data the rules they had, others
        those that hold."""
        codes = self.rule_mask[items].astype(np.int64)
        codes[self.tier[items] == MANUAL] = self.manual_set
        stays_absent = self.tier[items] == STICKY_ABSENT
        codes[stays_absent] = self.before.rule_set[find(self.before.keys, self.key_of(items[stays_absent]))[1]]
        return codes


def _removals(name: ListName, items: _Items, removed: np.ndarray, ranking: Ranking, org: OrgIndex,
              subjects: Subjects, records: Records, manual: ManualState) -> Removals:
    """Why each removed item left: converted, removed by hand, deleted in the CRM, capped out, or
    no rule holds (the first that applies)."""
    subject, record = items.subject[removed], items.record[removed]
    removed_at, via_account = manual.details(items.key_of(removed))
    previous_set = items.before.rule_set[find(items.before.keys, items.key_of(removed))[1]]
    owner = records.owner[record]
    return Removals(
        cause=np.where(items.converted[removed], CONVERTED,
                       np.where(items.removed_by_hand[removed], MANUAL_REMOVAL,
                                np.where(items.deleted[removed], DELETED,
                                         np.where(items.tier[removed] >= 0, CAPPED, NO_RULE)))),
        manual_at=removed_at,
        via_account=text_series(org.accounts.codes.take(via_account)),
        rank=ranking.rank[removed].astype(np.int64),
        candidates=ranking.candidates[subject],
        previous_rules=np.where(previous_set == items.manual_set, 0, previous_set),
        previous_manual=previous_set == items.manual_set,
        selected=subjects.selected[name][subject].astype(np.int64),
        owner_now=text_series(org.users.take(owner)),
        owner_changed=owner != subjects.crm_user[subject],
        contact_now=text_series(records.codes.take(org.converted_contact(name, record))),
    )


def _summary(name: ListName, items: _Items, subjects: Subjects, records: Records, ranking: Ranking, on: np.ndarray,
             on_set: np.ndarray, added: np.ndarray, removed: np.ndarray) -> pd.DataFrame:
    def per_subject(of: np.ndarray) -> np.ndarray:
        return np.bincount(items.subject[of], minlength=len(subjects))

    auto = on_set != items.manual_set
    kept_count = per_subject(on)
    return summary_of_items(
        name, subjects.user_ids.ids, items=kept_count, auto_items=per_subject(on[auto]),
        manual_items=per_subject(on[~auto]), deleted_items=per_subject(on[records.deleted[items.record[on]]]),
        capped_out=ranking.candidates - kept_count, added=per_subject(added), removed=per_subject(removed),
    )


@dataclass(frozen=True)
class _Previous:
    """One list's previous rows of matched users, by key (subject * stride + record), each once."""

    keys: np.ndarray  # sorted, distinct
    rule_set: np.ndarray  # rule mask, or the list's manual code
    added_at: np.ndarray  # int64 ns
    from_lead: np.ndarray  # record code of the converted lead whose place a Contact takes, else -1

    @classmethod
    def of(cls, previous: pd.DataFrame, subjects: Subjects, records: Records, name: ListName) -> _Previous:
        record = records.codes.codes(previous["crm_id"])
        previous, record = previous[record >= 0], record[record >= 0]  # a row without an id is no item
        keys = subjects.codes(previous["user_id"]) * len(records) + record
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.empty(0, bool)
        previous = previous.iloc[order[first]]
        added_at = previous["added_at"].astype("datetime64[ns, UTC]").dt.tz_convert(None).to_numpy().view(np.int64)
        from_lead = records.codes.codes(previous[FROM_LEAD]) if FROM_LEAD in previous.columns else None
        from_lead = np.full(len(previous), -1, np.int64) if from_lead is None else np.asarray(from_lead, np.int64)
        return cls(keys[first], _rule_sets(previous["rules"], name), added_at, from_lead)


def _rule_sets(rules: pd.Series, name: ListName) -> np.ndarray:
    """Previous rows' rules as rule-set codes: the mask of the list's rules, or the manual code."""
    codes = RULE_CODES[name]
    manual_set = 1 << len(codes)
    rules = rules.reset_index(drop=True)
    try:  # rows share a handful of distinct rule tuples: parse those once
        labels, uniques = pd.factorize(rules, use_na_sentinel=True)
        masks, _ = rule_masks(pd.Series(uniques, dtype=object), (*codes, "manual"), "previous lists' rules")
        masks = np.append(masks, 0)[labels]
    except TypeError:  # unhashable values, such as lists read back from a database
        masks, _ = rule_masks(rules, (*codes, "manual"), "previous lists' rules")
    masks = masks.astype(np.int64)
    return np.where(masks & manual_set, manual_set, masks & (manual_set - 1))


FROM_LEAD = "_from_lead"
"""A column of prepared previous rows: the converted lead whose place the row's Contact takes."""


def _with_contacts_of_converted_leads(previous: pd.DataFrame, org: OrgIndex) -> pd.DataFrame:
    """The previous rows, plus for each converted lead on a list a row of its Contact in its place
    (its rules and added_at, after the rows of its own, so a Contact already on the list keeps
    its row), with FROM_LEAD naming the lead; other rows have FROM_LEAD NA."""
    previous = previous.assign(**{FROM_LEAD: pd.Series(pd.NA, index=previous.index, dtype=TEXT)})
    on_persons = (previous["list"] == "leads_and_contacts").to_numpy(dtype=bool)
    record = org.persons.codes.codes(previous["crm_id"])
    contact = np.full(len(previous), -1, np.int64)
    contact[on_persons] = org.converted_contact("leads_and_contacts", record[on_persons])
    moving = np.flatnonzero(contact >= 0)
    if moving.size == 0:
        return previous
    replacing = previous.iloc[moving].assign(
        crm_id=text_series(org.persons.codes.take(contact[moving])).to_numpy(),
        record_type="Contact", is_deleted=False,
        **{FROM_LEAD: previous["crm_id"].iloc[moving].to_numpy()})
    return pd.concat([previous, replacing.astype(previous.dtypes.to_dict())], ignore_index=True)


def _overrides_on_contacts(overrides: pd.DataFrame, org: OrgIndex) -> pd.DataFrame:
    """Manual overrides of converted leads applied to their Contacts (the same person)."""
    on_persons = (overrides["list"] == "leads_and_contacts").to_numpy(dtype=bool)
    if not on_persons.any():
        return overrides
    contact = np.full(len(overrides), -1, np.int64)
    contact[on_persons] = org.converted_contact("leads_and_contacts",
                                                org.persons.codes.codes(overrides["crm_id"][on_persons]))
    moving = contact >= 0
    if not moving.any():
        return overrides
    overrides = overrides.copy()
    overrides.loc[moving, "crm_id"] = text_series(org.persons.codes.take(contact[moving])).to_numpy()
    return overrides


def as_utc(now: datetime | pd.Timestamp) -> pd.Timestamp:
    moment = pd.Timestamp(now)
    if moment.tzinfo is None:
        raise ValueError(f"the rebuild time must be timezone-aware (UTC), not {moment!r}")
    return moment.tz_convert("UTC").as_unit("ns")
