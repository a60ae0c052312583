"""The prospect sync a key range of CRM ids at a time (issue 17): at a large org, comparing every
linked pair in one call holds every column of every Lead and Contact, the prospect base (a dozen
rows a pair) and all their intermediate frames at once. Here the org's Leads and Contacts are cut
into ranges of `CRM_PIPELINES_SYNC_RANGE_RECORDS` records (default 20,000) in their key order, and
sync_prospects runs once per range on that range's records (every column, read from the store by
key range), base and field history, and the prospects that belong to it.

What keeps the ranges' results equal to the one-piece result: each prospect belongs to exactly one
range, the one of the record it is linked to (or, unlinked, of the id it stores), so every
prospect holding a record — the merges and the record's writer are decided among them — is in
that record's range; the narrow `people` frame of the whole org (crm_people: ids, emails, where
each record went) decides links, which records are free and which emails are known, so a merge
chain or a conversion crossing ranges is followed as in one piece. Prospects with no record at
all can only be F7's new Leads, decided once against every live email. Creations (F4.1) are
made after the rest is committed, a range (and a chunk within it) at a time.

The app's prospects can be given whole, or read from the store a range at a time
(AppProspects.stored): then only their ids, stored CRM ids and deleted flags are held for the
whole table (what places each prospect in its range), and each range reads every column of its
own prospects: those storing a CRM id in the range's key range, and by id the few it holds
otherwise (matched to one of its records while storing another id, or none). The recordless
prospects are read once, those storing no CRM id and by id the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync import sync_prospects
from crm_pipelines.core.field_sync.base import empty_base
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.inbound import changed_prospects, named_prospects
from crm_pipelines.core.field_sync.new_leads import new_lead_changes
from crm_pipelines.core.field_sync.prospect_sync import ProspectSync, match_positions, people_to_create
from crm_pipelines.core.matching.frames import flag
from crm_pipelines.core.matching.lookup import contains, positions
from crm_pipelines.core.matching.people import CONTACT, crm_people
from crm_pipelines.core.matching.successors import LIVE
from crm_pipelines.settings import ConnectorSettings, FieldMapping
from crm_pipelines.store.crm_field_changes import read_field_changes
from crm_pipelines.store.app_data import SomeAppRows, read_app_table, read_prospects
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.store.key_ranges import IDS_PER_READ, KeyRange, no_crm_rows, read_crm_ids, read_crm_range

RANGE_RECORDS_ENV = "CRM_PIPELINES_SYNC_RANGE_RECORDS"
# A range's Leads or Contacts with every column, their base and the sync's frames stay in the low
# hundreds of MiB; the creation chunks measured at 20,000 records peaked 280 MiB under those at
# 50,000 (issue 17), while each range costs a few indexed reads.
DEFAULT_RANGE_RECORDS = 20_000

_TABLES = {CONTACT: "crm_contacts", "Lead": "crm_leads"}


def sync_range_records() -> int:
    """CRM records per range of the prospect sync; 0 runs it in one piece, as before."""
    return int(os.environ.get(RANGE_RECORDS_ENV, DEFAULT_RANGE_RECORDS))


@dataclass(frozen=True)
class CrmRange:
    """Records start..end-1 of `people` (one CRM type, consecutive in key order) and their ids' range."""

    start: int
    end: int
    crm_type: str
    ids: KeyRange

    @property
    def table(self) -> str:
        return _TABLES[self.crm_type]


@dataclass(frozen=True)
class OrgPeople:
    """The whole org's people (crm_people of the narrow Leads and Contacts) and its ranges."""

    people: pd.DataFrame
    ranges: list[CrmRange]

    def range_of(self, at_people: np.ndarray) -> np.ndarray:
        """The range index of each position in `people` (-1 stays -1)."""
        starts = np.array([r.start for r in self.ranges], dtype=np.int64)
        found = np.searchsorted(starts, at_people, side="right") - 1
        return np.where(at_people >= 0, found, -1)

    def range_people(self, crm_range: CrmRange) -> pd.DataFrame:
        return self.people.iloc[crm_range.start:crm_range.end].reset_index(drop=True)


# What places a prospect in its range (prospect_ranges): all a stored read holds of every prospect.
PLACE_COLUMNS = ("prospect_id", "crm_id", "is_deleted")


@dataclass(frozen=True)
class AppProspects:
    """The app's prospects for the ranged sync: `places` holds PLACE_COLUMNS (or every column) of
    each, in key order; `read_from`: the store to read the rest from a range at a time (None: `places`
    is the whole table)."""

    places: pd.DataFrame
    read_from: tuple[Database, str] | None = field(default=None)

    @classmethod
    def of(cls, prospects: pd.DataFrame) -> AppProspects:
        return cls(prospects.reset_index(drop=True))

    @classmethod
    def stored(cls, db: Database, tenant_id: str) -> AppProspects:
        return cls(read_app_table(db, tenant_id, "prospects", columns=list(PLACE_COLUMNS)), (db, tenant_id))

    def none(self) -> pd.DataFrame:
        """No prospect, with every column."""
        if self.read_from is None:
            return self.places.iloc[0:0]
        return read_prospects(*self.read_from)

    def at(self, wanted: np.ndarray, read_brings: np.ndarray, crm_ids: KeyRange | None) -> pd.DataFrame:
        """Every column of the prospects at `wanted` (ascending positions in `places`), in that
        order. `read_brings`: which of them a read of the stored CRM ids in `crm_ids` (None: of
        none) brings; the others are read by id."""
        if self.read_from is None:
            return self.places.iloc[wanted].reset_index(drop=True)
        ids = self.places["prospect_id"].iloc[wanted]
        read = read_prospects(*self.read_from, crm_ids=crm_ids, without_crm_id=crm_ids is None,
                              prospect_ids=ids[~read_brings].astype("string").tolist())
        return self._in_order(ids, read)

    def by_id(self, wanted: np.ndarray) -> pd.DataFrame:
        """Every column of the prospects at `wanted` (ascending positions in `places`), read by id."""
        if self.read_from is None:
            return self.places.iloc[wanted].reset_index(drop=True)
        ids = self.places["prospect_id"].iloc[wanted]
        return self._in_order(ids, read_prospects(*self.read_from, prospect_ids=ids.astype("string").tolist()))

    @staticmethod
    def _in_order(ids: pd.Series, read: pd.DataFrame) -> pd.DataFrame:
        found = positions(ids, read["prospect_id"])
        if (found < 0).any():
            raise RuntimeError("the app's prospects changed while the prospect sync read them")
        return read.iloc[found].reset_index(drop=True)


def applied_rows(prospects: AppProspects, inbound: pd.DataFrame) -> SomeAppRows:
    """The prospects the inbound changes name, as applying the changes leaves them: what the sync
    writes in place of their stored rows (the others are unchanged). Read by id when `prospects`
    is stored."""
    named = pd.Series(named_prospects(inbound), dtype="string")
    wanted = np.flatnonzero(contains(prospects.places["prospect_id"], named))
    return SomeAppRows(*changed_prospects(prospects.by_id(wanted), inbound))


def org_people(crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame, range_records: int) -> OrgPeople:
    """`crm_leads` / `crm_contacts`: the extracted tables in key order (the columns crm_people reads
    are enough). Contacts come first in `people`, then Leads, so each type's ranges are consecutive."""
    if range_records < 1:
        raise ValueError(f"range_records must be at least 1, not {range_records}")
    people = crm_people(crm_leads, crm_contacts)
    ids, ranges = people["crm_id"], []
    for crm_type, first, end in ((CONTACT, 0, len(crm_contacts)), ("Lead", len(crm_contacts), len(people))):
        for start in range(first, end, range_records):
            stop = min(start + range_records, end)
            ranges.append(CrmRange(start, stop, crm_type, KeyRange.spanning(ids, start, stop)))
    return OrgPeople(people, ranges)


def read_whole_org(db: Database, tenant_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(crm_leads, crm_contacts), every column of every record: the one-piece sync's input."""
    return read_crm_range(db, "crm_leads", tenant_id, None), read_crm_range(db, "crm_contacts", tenant_id, None)


def read_range_frames(db: Database, tenant_id: str, crm_range: CrmRange,
                      people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(crm_leads, crm_contacts) of one range, every column: the range's own type read by key range,
    the other empty. `people`: the range's people, which the rows read must be, in order."""
    own = read_crm_range(db, crm_range.table, tenant_id, crm_range.ids)
    if not own["id"].astype("string").reset_index(drop=True).equals(people["crm_id"].astype("string")):
        raise RuntimeError(f"the {crm_range.table} between {crm_range.ids.first} and {crm_range.ids.last} "
                           "changed while the prospect sync read them")
    other = no_crm_rows("crm_leads" if crm_range.crm_type == CONTACT else "crm_contacts")
    return (other, own) if crm_range.crm_type == CONTACT else (own, other)


def read_people_frames(db: Database, tenant_id: str, people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(crm_leads, crm_contacts), every column, of the records of `people` (some rows of the org's
    people, Contacts then Leads, each in key order), read by id."""
    frames = {}
    for crm_type, ids in _ids_by_type(people):
        table = _TABLES[crm_type]
        frames[crm_type] = read_crm_ids(db, table, tenant_id, ids.tolist())
        if not frames[crm_type]["id"].astype("string").reset_index(drop=True).equals(ids.reset_index(drop=True)):
            raise RuntimeError(f"the {table} changed while the prospect sync read them")
    return frames["Lead"], frames[CONTACT]


def prospect_ranges(org: OrgPeople, matched: pd.DataFrame, prospects: pd.DataFrame) -> np.ndarray:
    """The range each prospect belongs to: its linked record's, else its stored id's; -1 for a
    prospect with neither (a record the org does not have counts as none). `prospects`: at least
    PLACE_COLUMNS."""
    return org.range_of(held_positions(org, matched, prospects, positions(prospects["crm_id"], org.people["crm_id"])))


def held_positions(org: OrgPeople, matched: pd.DataFrame, prospects: pd.DataFrame, stored_at: np.ndarray) -> np.ndarray:
    """The position in `org.people` of the record each prospect is held by: its live match's, else
    `stored_at` (its stored id's, -1 for none)."""
    return _held(stored_at, *_live_matches(org, matched, prospects))


def _live_matches(org: OrgPeople, matched: pd.DataFrame, prospects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(prospect positions, people positions) of the matches linking a live prospect to a live record."""
    prospect_ids = prospects["prospect_id"].astype("string").reset_index(drop=True)
    matched_rows, matched_people, keep = match_positions(matched, prospect_ids, ~flag(prospects, "is_deleted"),
                                                         org.people)
    return matched_rows[keep], matched_people[keep]


def _held(stored_at: np.ndarray, match_rows: np.ndarray, match_people: np.ndarray) -> np.ndarray:
    held = stored_at.copy()
    held[match_rows] = match_people
    return held


def ranged_prospect_sync(db: Database, tenant_id: str, org: OrgPeople, matched: pd.DataFrame,
                         prospects: pd.DataFrame | AppProspects, *, mappings: Sequence[FieldMapping],
                         settings: ConnectorSettings, matched_users: pd.DataFrame | None = None,
                         with_skipped: bool = True, outbound_only: bool = False,
                         only: np.ndarray | None = None, placement: Placement | None = None) -> ProspectSync:
    """sync_prospects(matched, prospects, <every Lead and Contact>, ..., base=<the tenant's prospect
    base>, crm_field_times=<its field history>) with creation off, range by range. The rows come in
    range order rather than the one piece's, each range's as sync_prospects orders them.
    `prospects`: the whole table, or AppProspects.stored to read it a range at a time.
    `with_skipped=False` leaves skipped_mappings empty, for a caller that has no use for them.
    `outbound_only=True`: only `outbound` is computed (inbound and synced come empty), reading the
    base of just the pairs that differ in a two-way field (_differing_two_way).
    `only`: which records to compare (a flag per row of `org.people`, None: all): just the
    prospects held by those, with only the records they hold or store in their own range, several
    ranges' in one call (_changed_batches); the others give no rows, as records that have not
    changed since a run whose result was applied (core.field_sync.changed_ranges). `placement`:
    Placement.of(org, matched, <the prospects' places>) when the caller has it already."""
    settings = settings.model_copy(update={"create_prospects_from_crm": False})
    source = prospects if isinstance(prospects, AppProspects) else AppProspects.of(prospects)
    places = placement or Placement.of(org, matched, source.places)
    options = _SyncOptions(mappings, settings, matched_users, outbound_only)
    if only is None:
        pieces = [_range_sync(db, tenant_id, org, crm_range, source.at(mine, places.stored_in(mine, crm_range),
                                                                       crm_range.ids), matched, options)
                  for crm_range, mine in places.by_range(org)]
    else:
        pieces = [_changed_sync(db, tenant_id, org, source, places, mine, records, matched, options)
                  for mine, records in _changed_batches(org, places, only)]
    recordless = np.flatnonzero(places.belongs < 0)
    unlinked = source.at(recordless, source.places["crm_id"].isna().to_numpy()[recordless], None)
    new_leads = _recordless(org, unlinked, _matches_of(matched, unlinked), mappings=mappings, settings=settings)
    return ProspectSync(
        inbound=concat_changes([p.inbound for p in pieces]),
        outbound=concat_changes([*[p.outbound for p in pieces], new_leads]),
        skipped_mappings=mappings_not_in_org(db, tenant_id, org, source.none(), matched, mappings, settings) if with_skipped else (),
        synced=pd.concat([empty_base(), *[p.synced for p in pieces]], ignore_index=True),
    )


@dataclass(frozen=True)
class _SyncOptions:
    """What every call of the ranged sync is asked beyond its rows (creation already off)."""

    mappings: Sequence[FieldMapping]
    settings: ConnectorSettings
    matched_users: pd.DataFrame | None
    outbound_only: bool


@dataclass(frozen=True)
class Placement:
    """Where each of the app's prospects is, as positions in `org.people` (-1: none): the record
    it stores (`stored_at`) and the one it is held by (`held`), and the range it belongs to; and
    the records live prospects are matched to (`matched_people`). Found once a run (three lookups
    of a million ids at `large`) for the comparison's plan, the sync and the creations."""

    stored_at: np.ndarray
    held: np.ndarray
    belongs: np.ndarray
    matched_people: np.ndarray

    @classmethod
    def of(cls, org: OrgPeople, matched: pd.DataFrame, places: pd.DataFrame) -> Placement:
        """`places`: at least PLACE_COLUMNS of the app's prospects, in AppProspects.places' order."""
        stored_at = positions(places["crm_id"], org.people["crm_id"])
        match_rows, match_people = _live_matches(org, matched, places)
        held = _held(stored_at, match_rows, match_people)
        return cls(stored_at, held, org.range_of(held), match_people)

    def by_range(self, org: OrgPeople) -> Iterator[tuple[CrmRange, np.ndarray]]:
        """Each range holding a prospect, with the prospects (ascending positions) belonging to it."""
        for index, crm_range in enumerate(org.ranges):
            mine = np.flatnonzero(self.belongs == index)
            if mine.size:
                yield crm_range, mine

    def stored_in(self, mine: np.ndarray, crm_range: CrmRange) -> np.ndarray:
        """Which prospects at `mine` store a record of `crm_range`."""
        return (self.stored_at[mine] >= crm_range.start) & (self.stored_at[mine] < crm_range.end)


def _range_sync(db: Database, tenant_id: str, org: OrgPeople, crm_range: CrmRange, prospects: pd.DataFrame,
                matched: pd.DataFrame, options: _SyncOptions) -> ProspectSync:
    """One range's sync: every record of the range, read by key range, with its base and history."""
    people = org.range_people(crm_range)
    crm_leads, crm_contacts = read_range_frames(db, tenant_id, crm_range, people)
    return _sync(db, tenant_id, people, crm_leads, crm_contacts, prospects, matched, options,
                 read_field_changes(db, tenant_id, record_ids=crm_range.ids), base_range=crm_range.ids)


def _changed_batches(org: OrgPeople, places: Placement, only: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The prospects held by the records `only` flags, with the records each holds or stores within
    its own range (both as ascending positions): what the range-by-range sync of those records
    reads. Consecutive ranges' go together while they need at most as many records as a range."""
    budget = max(r.end - r.start for r in org.ranges)
    prospects: list[np.ndarray] = []
    records: list[np.ndarray] = []
    for crm_range, mine in places.by_range(org):
        mine = mine[only[places.held[mine]]]
        if not mine.size:
            continue
        stored = places.stored_at[mine][places.stored_in(mine, crm_range)]
        needed = np.unique(np.concatenate([places.held[mine], stored]))
        if records and sum(map(len, records)) + len(needed) > budget:
            yield np.sort(np.concatenate(prospects)), np.concatenate(records)
            prospects, records = [], []
        prospects.append(mine)
        records.append(needed)
    if prospects:
        yield np.sort(np.concatenate(prospects)), np.concatenate(records)


def _changed_sync(db: Database, tenant_id: str, org: OrgPeople, source: AppProspects, places: Placement,
                  mine: np.ndarray, records: np.ndarray, matched: pd.DataFrame,
                  options: _SyncOptions) -> ProspectSync:
    """One call of sync_prospects on a batch of _changed_batches (its cost barely depends on its size,
    and a steady run's changes are spread over every range), the records read by id. Its rows are
    put in range order, each range's in the order the call gives them, as the range-by-range sync
    lists them."""
    people = org.people.iloc[records].reset_index(drop=True)
    prospects = source.by_id(mine)
    crm_leads, crm_contacts = read_people_frames(db, tenant_id, people)
    times = pd.concat([_field_times(db, tenant_id, crm_type, ids) for crm_type, ids in _ids_by_type(people)],
                      ignore_index=True)
    sync = _sync(db, tenant_id, people, crm_leads, crm_contacts, prospects, matched, options, times)
    ranks = pd.Series(places.belongs[mine], index=prospects["prospect_id"].astype("string").to_numpy())
    return ProspectSync(*(_in_range_order(frame, ranks) for frame in (sync.inbound, sync.outbound)),
                        sync.skipped_mappings, _in_range_order(sync.synced, ranks))


def _field_times(db: Database, tenant_id: str, crm_type: str, ids: pd.Series) -> pd.DataFrame:
    """The field history of records `ids` (of one type, in key order): by id when they are a few
    thousand at most, else of the key range from the first to the last (a read by key range, as a
    range's is; the records between them that the call does not hold add rows it never looks up)."""
    if len(ids) <= IDS_PER_READ:
        return read_field_changes(db, tenant_id, crm_type, record_ids=ids.tolist())
    return read_field_changes(db, tenant_id, crm_type, record_ids=KeyRange(str(ids.iloc[0]), str(ids.iloc[-1])))


def _ids_by_type(people: pd.DataFrame) -> Iterator[tuple[str, pd.Series]]:
    for crm_type in (CONTACT, "Lead"):
        yield crm_type, people.loc[people["crm_type"] == crm_type, "crm_id"].astype("string")


def _in_range_order(rows: pd.DataFrame, ranks: pd.Series) -> pd.DataFrame:
    """`rows` (each naming a prospect of `ranks`' index by its app_id) stably sorted by the range of
    that prospect (`ranks`' value)."""
    at = positions(rows["app_id"], pd.Series(ranks.index, dtype="string"))
    if (at < 0).any():
        raise RuntimeError("the prospect sync gave a row of a prospect it was not given")
    order = np.argsort(ranks.to_numpy()[at], kind="stable")
    return rows.iloc[order].reset_index(drop=True)


def _sync(db: Database, tenant_id: str, people: pd.DataFrame, crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame,
          prospects: pd.DataFrame, matched: pd.DataFrame, options: _SyncOptions, crm_field_times: pd.DataFrame,
          base_range: KeyRange | None = None) -> ProspectSync:
    """sync_prospects on these records and prospects, with the base of their pairs: by key range
    (`base_range`) or else by the prospects' ids; outbound only, just of the pairs that differ in a
    two-way field."""
    matched = _matches_of(matched, prospects)
    if options.outbound_only:
        app_ids = _differing_two_way(matched, prospects, crm_leads, crm_contacts, people, options.mappings,
                                     options.settings)
        base = empty_base() if app_ids.empty else read_base(db, tenant_id, "prospect", app_ids=app_ids.tolist())
    elif base_range is None:
        base = read_base(db, tenant_id, "prospect", app_ids=prospects["prospect_id"].astype("string").tolist())
    else:
        base = read_base(db, tenant_id, "prospect", crm_ids=base_range)
    sync = sync_prospects(matched, prospects, crm_leads, crm_contacts, mappings=options.mappings,
                          settings=options.settings, matched_users=options.matched_users, people=people, base=base,
                          crm_field_times=crm_field_times)
    # Outbound only: the rest let go of at once, not held until every call is done (the base rows of
    # every pair, some 200,000 a call when most records changed).
    return ProspectSync(concat_changes([]), sync.outbound, ()) if options.outbound_only else sync


def _differing_two_way(matched: pd.DataFrame, prospects: pd.DataFrame, crm_leads: pd.DataFrame,
                       crm_contacts: pd.DataFrame, people: pd.DataFrame, mappings: Sequence[FieldMapping],
                       settings: ConnectorSettings) -> pd.Series:
    """The prospects (ids) whose app and CRM values differ in some two-way field, or more: the only
    ones whose base can decide an outbound change (F3 sends a two-way value only where the two sides
    differ, and push mappings and new Leads read no base). Found by the sync itself without a base
    and with nothing gated, so each differing pair gives a change one way or the other; the tenant's
    merge setting stays, so the links kept and each record's writer are the real sync's."""
    two_way = [m for m in mappings if m.direction == "two_way"]
    if not two_way:
        return pd.Series([], dtype="string")
    open_gates = settings.model_copy(update={
        "update_email_from_crm": True, "crm_overwrites_opted_out": True,
        "overwrite_app_with_empty_crm_values": True, "overwrite_crm_with_empty_app_values": True})
    found = sync_prospects(matched, prospects, crm_leads, crm_contacts, mappings=two_way, settings=open_gates,
                           people=people)
    return pd.concat([found.inbound["app_id"], found.outbound["app_id"]]).astype("string").dropna().drop_duplicates()


def _recordless(org: OrgPeople, prospects: pd.DataFrame, matched: pd.DataFrame, *, mappings: Sequence[FieldMapping],
                settings: ConnectorSettings) -> pd.DataFrame:
    """F7's new Leads: prospects linked to no record and storing none the org has can only be
    those (nothing to compare, delete or merge), decided against every live email of the org."""
    live = (org.people["fate"] == LIVE).to_numpy(dtype=bool)
    known = org.people.loc[live, "email"] if settings.match_by_email else None
    return new_lead_changes(prospects.reset_index(drop=True), matched, mappings, known_emails=known)


def mappings_not_in_org(db: Database, tenant_id: str, org: OrgPeople, prospects: pd.DataFrame, matched: pd.DataFrame,
                        mappings: Sequence[FieldMapping], settings: ConnectorSettings) -> tuple[FieldMapping, ...]:
    """sync_prospects' skipped_mappings for the whole org (E6): those no column of the tables
    carries (a sync of no records tells), less the custom fields some record of the type holds in
    its mapped fields, read a range at a time until each is found."""
    nothing = sync_prospects(matched.iloc[0:0], prospects.iloc[0:0], no_crm_rows("crm_leads"),
                             no_crm_rows("crm_contacts"), mappings=mappings, settings=settings,
                             people=org.people.iloc[0:0])
    missing = list(nothing.skipped_mappings)
    for crm_range in org.ranges:
        wanted = [m.crm_field for m in missing if m.crm_object == crm_range.crm_type]
        if wanted:
            frame = read_crm_range(db, crm_range.table, tenant_id, crm_range.ids, columns=["mapped_fields"])
            found = crm_field_columns(frame, wanted)
            missing = [m for m in missing if m.crm_object != crm_range.crm_type or m.crm_field not in found]
    return tuple(missing)


def _matches_of(matched: pd.DataFrame, prospects: pd.DataFrame) -> pd.DataFrame:
    return matched.loc[contains(matched["prospect_id"], prospects["prospect_id"])].reset_index(drop=True)


def free_records(org: OrgPeople, placement: Placement) -> np.ndarray:
    """Positions in `org.people` of the records F4.1 makes new prospects of (people_to_create,
    decided on the whole org: a prospect holding a converted Lead holds its Contact)."""
    return people_to_create(org.people, placement.stored_at, placement.matched_people, None)


def free_by_range(org: OrgPeople, free: np.ndarray) -> Iterator[tuple[CrmRange, np.ndarray]]:
    """Each range holding free records, with their positions within the range."""
    belongs = org.range_of(free)
    for index, crm_range in enumerate(org.ranges):
        mine = free[belongs == index]
        if mine.size:
            yield crm_range, mine - crm_range.start
