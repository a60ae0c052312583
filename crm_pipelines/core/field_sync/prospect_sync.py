"""The prospect side of the two-way sync (F1–F4, F7): every change due between prospects and
their Leads and Contacts, both ways, computed together because each way depends on the other
(a prospect merged away inbound pushes nothing outbound).

Inbound (crm_to_app), in the order a reader of the connector log meets them:
- links: a prospect matched by email, a manual override, a conversion or a merge stores its
  (new) CRM id and type;
- F4.3 (on): a prospect whose CRM record was deleted is deleted; one whose record was merged into
  a record another prospect holds is merged into that prospect (deleted, merged_into set). Off:
  neither happens, though a merged record is still followed to its master (E5);
- F4.1 (on): a live, unconverted Lead or Contact that no prospect holds, changed in the window,
  becomes a new prospect with the id `crm-<CRM id>`, its mapped values, its owner and its
  opted-out flag (taken on creation even when F4.7 is off: there is nothing to overwrite yet);
- mapped fields, pull and two-way (field_differences: three-way against the base where the pair
  has one), with F4.2 gating email and F4.7 gating
  opted-out, F4.4 deciding whether empty CRM values overwrite;
- the owner, when user matches are given: the CRM owns ownership (X1), so the owner of a
  prospect is the app user matched to its record's CRM owner; an owner matched to no app user
  changes nothing.

Outbound (app_to_crm): mapped fields, push and two-way, with F4.5 deciding whether empty app
values are sent (the lead score is a push mapping), and F7's new Leads. When several prospects
hold one CRM record, only its writer's values are sent (record_writers: the most recently updated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import mapped_text
from crm_pipelines.core.field_sync.base import empty_base
from crm_pipelines.core.field_sync.changes import CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.creations import created_values
from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.field_differences import LinkedRecords, field_differences
from crm_pipelines.core.field_sync.new_leads import new_lead_changes
from crm_pipelines.core.field_sync.record_writers import writer_of_each_record
from crm_pipelines.core.matching.frames import changed_at, flag, require, utc_aware, utc_instant, utc_naive
from crm_pipelines.core.matching.lookup import positions, taken
from crm_pipelines.core.matching.people import CONTACT, LEAD, crm_people
from crm_pipelines.core.matching.prospects import free_people_rows
from crm_pipelines.core.matching.successors import DELETED, LIVE
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from crm_pipelines.settings.fields import PROSPECT_FIELDS

NEW_PROSPECT_PREFIX = "crm-"

_LINK_REASON = {
    "id": "matched_by_id", "email": "matched_by_email", "manual": "manual_match",
    "converted": "converted_in_crm", "merged": "merge_followed",
}
# Which prospect survives when a CRM merge leaves several prospects on one record.
_SURVIVOR_PRECEDENCE = {"manual": 0, "id": 1, "email": 2, "converted": 3, "merged": 4}


@dataclass(frozen=True)
class ProspectSync:
    """inbound: crm_to_app change rows for the prospects table (apply with
    apply_inbound_changes). outbound: app_to_crm change rows for Leads and Contacts (crm_id NA:
    a new Lead, F7). skipped_mappings: mappings whose CRM field was not extracted (E6). synced:
    the base rows to store with the inbound changes (field_differences.FieldDifferences.synced)."""

    inbound: pd.DataFrame
    outbound: pd.DataFrame
    skipped_mappings: tuple[FieldMapping, ...]
    synced: pd.DataFrame = field(default_factory=empty_base)


def new_prospect_ids(crm_ids: pd.Series) -> pd.Series:
    """The id a prospect created from a CRM record gets: stable, so re-running a creation
    creates nothing new."""
    return NEW_PROSPECT_PREFIX + crm_ids.astype("string")


def sync_prospects(
    matched: pd.DataFrame,
    prospects: pd.DataFrame,
    crm_leads: pd.DataFrame,
    crm_contacts: pd.DataFrame,
    *,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
    matched_users: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
    base: pd.DataFrame | None = None,
    crm_field_times: pd.DataFrame | None = None,
) -> ProspectSync:
    """All prospect changes due, both ways.

    matched: match_prospects(...).matched (prospect_id, crm_id, matched_by); links to records
    that are no longer live (a stale matched frame) are left out.
    prospects: the app's prospects table. crm_leads / crm_contacts: the extracted tables
    (mapped custom fields in `mapped_fields`). since: the last sync; None compares everything.
    matched_users: match_users(...).matched (user_id, crm_user_id), to pull owners.
    people: crm_people(crm_leads, crm_contacts), when the caller has it already.
    base: the stored base (base.BASE_COLUMNS) for the three-way sync of two-way fields (F3); None
    decides every field by the newer record. crm_field_times: the CRM's per-field change times
    (crm_change_times.FIELD_TIME_COLUMNS) for the CRM's side of a conflict, where the org has history.
    """
    options = _Options(mappings, settings or ConnectorSettings(), since, matched_users, base, crm_field_times)
    require(prospects, ("prospect_id", "crm_id", "crm_type", "updated_at"), "prospects")
    require(matched, ("prospect_id", "crm_id", "matched_by"), "matched prospects")
    prospects = prospects.reset_index(drop=True)
    crm = _crm_records(crm_leads, crm_contacts, people, mappings)
    links = _live_links(matched, prospects, crm.people)
    linking = _link_changes(prospects, crm, links, options)
    kept = ~linking.merged_away
    fields = _field_changes(prospects, crm, links, kept, options)
    writers = _writers(prospects, crm.people, links.rows[kept], links.people_at[kept])
    new_leads = new_lead_changes(prospects, matched, mappings, since=since, matched_rows=links.matched_rows,
                                 known_emails=_live_emails(crm.people) if options.settings.match_by_email else None)
    return ProspectSync(
        inbound=concat_changes(linking.inbound + fields.inbound),
        outbound=concat_changes([_one_sender_per_record(concat_changes(fields.outbound), writers), new_leads]),
        skipped_mappings=tuple(fields.skipped),
        synced=pd.concat(linking.synced + fields.synced, ignore_index=True),
    )


@dataclass(frozen=True)
class _Options:
    """What sync_prospects was asked, beyond the tables."""

    mappings: Sequence[FieldMapping]
    settings: ConnectorSettings
    since: pd.Timestamp | None
    matched_users: pd.DataFrame | None
    base: pd.DataFrame | None
    crm_field_times: pd.DataFrame | None


@dataclass(frozen=True)
class _CrmPeople:
    """The CRM's Leads and Contacts: `people` (crm_people: Contacts first, then Leads) and each
    type's own table with its mapped field columns unpacked."""

    people: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    columns: dict[str, dict[str, pd.Series]]
    n_contacts: int

    def frame_rows(self, crm_type: str, at_people: np.ndarray) -> np.ndarray:
        """Positions in `frames[crm_type]` of the records at `at_people` (all of that type)."""
        return at_people - (0 if crm_type == CONTACT else self.n_contacts)


def _crm_records(crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame, people: pd.DataFrame | None,
                 mappings: Sequence[FieldMapping]) -> _CrmPeople:
    if people is None:
        people = crm_people(crm_leads, crm_contacts)
    frames = {CONTACT: crm_contacts.reset_index(drop=True), LEAD: crm_leads.reset_index(drop=True)}
    columns = {
        crm_type: crm_field_columns(frames[crm_type], [m.crm_field for m in mappings if m.crm_object == crm_type])
        for crm_type in (CONTACT, LEAD)
    }
    return _CrmPeople(people, frames, columns, len(crm_contacts))


@dataclass(frozen=True)
class _Links:
    """The matches that link a live prospect to a live record (`links`: prospect_id, crm_id,
    matched_by, crm_type), with where each is among the prospects (`rows`) and the people
    (`people_at`). `matched_rows`: every match's prospect position, -1 when nowhere.
    `prospect_ids` and `live` are the prospects' ids and which are not deleted, as matched."""

    prospect_ids: pd.Series
    live: np.ndarray
    matched_rows: np.ndarray
    links: pd.DataFrame
    rows: np.ndarray
    people_at: np.ndarray


def _live_links(matched: pd.DataFrame, prospects: pd.DataFrame, people: pd.DataFrame) -> _Links:
    prospect_ids = prospects["prospect_id"].astype("string").reset_index(drop=True)
    live = ~flag(prospects, "is_deleted")
    matched_rows, matched_people, keep = match_positions(matched, prospect_ids, live, people)
    people_at = matched_people[keep]
    links = matched.loc[keep, ["prospect_id", "crm_id", "matched_by"]].reset_index(drop=True)
    links["crm_type"] = people["crm_type"].iloc[people_at].reset_index(drop=True)
    return _Links(prospect_ids, live, matched_rows, links, matched_rows[keep], people_at)


@dataclass(frozen=True)
class _LinkChanges:
    """The inbound changes of links, merges, deletions and creations, the base of the created
    pairs, and which links a merge took away (those send and receive nothing more)."""

    inbound: list[pd.DataFrame]
    synced: list[pd.DataFrame]
    merged_away: np.ndarray


def _link_changes(prospects: pd.DataFrame, crm: _CrmPeople, links: _Links, options: _Options) -> _LinkChanges:
    inbound, merged_away, synced = [], np.zeros(len(links.links), dtype=bool), []
    stored_at = positions(prospects["crm_id"], crm.people["crm_id"])
    if options.settings.delete_or_merge_from_crm:
        merge_rows, merged_away = _merges(links.links, links.rows, prospects, links.people_at, crm.people)
        inbound += [merge_rows, _deletions(prospects, links.prospect_ids, links.live, links.links, crm.people,
                                           stored_at)]
    kept = ~merged_away
    inbound.append(_relinks(links.links.loc[kept], links.rows[kept], links.people_at[kept], prospects, crm.people))
    if options.settings.create_prospects_from_crm:
        free = people_to_create(crm.people, stored_at, links.people_at, options.since)
        created = creations(crm.people, free, list(prospects.columns), crm.frames, crm.columns, crm.n_contacts,
                            options.mappings, options.matched_users)
        inbound.append(created)
        synced.append(created_base(created, options.mappings))
    return _LinkChanges(inbound, synced, merged_away)


@dataclass(frozen=True)
class _FieldChanges:
    """The mapped fields' (and owners') changes of the linked pairs, both ways."""

    inbound: list[pd.DataFrame]
    outbound: list[pd.DataFrame]
    synced: list[pd.DataFrame]
    skipped: list[FieldMapping]


def _field_changes(prospects: pd.DataFrame, crm: _CrmPeople, links: _Links, kept: np.ndarray,
                   options: _Options) -> _FieldChanges:
    inbound, outbound, synced, skipped = [], [], [], []
    settings = options.settings
    gates = {"email": settings.update_email_from_crm, "opted_out": settings.crm_overwrites_opted_out}
    for crm_type in (CONTACT, LEAD):
        pick = kept & (links.links["crm_type"] == crm_type).fillna(False).to_numpy(dtype=bool)
        linked = LinkedRecords(prospects, crm.frames[crm_type], links.rows[pick],
                               crm.frame_rows(crm_type, links.people_at[pick]), "prospect", crm_type, "prospect_id")
        found = field_differences(linked, options.mappings, settings, since=options.since, crm_gates=gates,
                                  crm_columns=crm.columns[crm_type], base=options.base,
                                  crm_field_times=options.crm_field_times)
        changes = found.changes
        synced.append(found.synced)
        is_in = (changes["direction"] == CRM_TO_APP).to_numpy(dtype=bool)
        inbound.append(changes.loc[is_in])
        outbound.append(changes.loc[~is_in])
        skipped += found.skipped_mappings
        if options.matched_users is not None:
            inbound.append(_owners(linked, options.since, options.matched_users))
    return _FieldChanges(inbound, outbound, synced, skipped)


def _live_emails(people: pd.DataFrame) -> pd.Series:
    return people.loc[(people["fate"] == LIVE).to_numpy(dtype=bool), "email"]


def created_base(created: pd.DataFrame, mappings: Sequence[FieldMapping]) -> pd.DataFrame:
    """The base of the prospects created from CRM records (F4.1): every two-way field of the new
    pair as the CRM has it, empty where the creation brings no value. Without it the new pair's
    first edit on either side would be decided by the newer record, and a CRM edit of one field
    could be reverted by an app edit of another (F3)."""
    pairs = created.loc[created["field"] == "crm_id", ["app_id", "crm_id", "crm_type"]].drop_duplicates()
    two_way = pd.DataFrame([(m.crm_object, m.app_field) for m in mappings if m.direction == "two_way"],
                           columns=["crm_type", "field"]).drop_duplicates()
    if pairs.empty or two_way.empty:
        return empty_base()
    grid = pairs.astype("string").merge(two_way.astype("string"), on="crm_type")
    values = created[["app_id", "field", "new_value"]].astype("string").drop_duplicates(["app_id", "field"])
    rows = grid.merge(values, on=["app_id", "field"], how="left")
    return pd.DataFrame({"object": "prospect", "app_id": rows["app_id"], "crm_id": rows["crm_id"],
                         "field": rows["field"], "value": rows["new_value"]}).astype("string")


def _relinks(links: pd.DataFrame, rows: np.ndarray, at_people: np.ndarray, prospects: pd.DataFrame,
             people: pd.DataFrame) -> pd.DataFrame:
    stored_id = prospects["crm_id"].astype("string").reset_index(drop=True).iloc[rows].reset_index(drop=True)
    stored_type = prospects["crm_type"].astype("string").reset_index(drop=True).iloc[rows].reset_index(drop=True)
    reason = mapped_text(links["matched_by"], _LINK_REASON)
    at = utc_aware(people["last_modified_date"].to_numpy()[at_people])
    parts = []
    for field, stored in (("crm_id", stored_id), ("crm_type", stored_type)):
        differs = ~_same_text(stored, links[field])
        parts.append(change_rows(
            object="prospect", app_id=links["prospect_id"][differs], crm_type=links["crm_type"][differs],
            crm_id=links["crm_id"][differs], field=field, crm_field=None, field_type="string",
            old_value=stored[differs], new_value=links[field][differs], direction=CRM_TO_APP,
            reason=reason[differs].reset_index(drop=True), at=at[differs]))
    return concat_changes(parts)


def _merges(links: pd.DataFrame, rows: np.ndarray, prospects: pd.DataFrame, at_people: np.ndarray,
            people: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Prospects merged into the prospect that survives on their record, and which links those are.
    Records are told apart by their position in `people` (`at_people`), not by hashing ids again."""
    codes = at_people
    is_merged = (links["matched_by"] == "merged").to_numpy(dtype=bool)
    crowded = np.bincount(codes, minlength=len(people))[codes] > 1
    has_merged = np.bincount(codes, weights=is_merged, minlength=len(people))[codes] > 0
    involved = np.flatnonzero(crowded & has_merged)
    merged_away = np.zeros(len(links), dtype=bool)
    if involved.size == 0:
        return concat_changes([]), merged_away
    ranked = pd.DataFrame({
        "link": involved,
        "code": codes[involved],
        "precedence": links["matched_by"].iloc[involved].map(_SURVIVOR_PRECEDENCE).to_numpy(dtype=np.int64),
        "updated_at": utc_naive(prospects["updated_at"].reset_index(drop=True).iloc[rows[involved]]),
        "prospect_id": links["prospect_id"].iloc[involved].to_numpy(),
    }).sort_values(["code", "precedence", "updated_at", "prospect_id"], ascending=[True, True, False, True],
                   kind="stable", na_position="last")
    survivor_of = ranked.drop_duplicates("code").set_index("code")["prospect_id"]
    losers = ranked.loc[is_merged[ranked["link"].to_numpy()] & ~ranked.index.isin(ranked.drop_duplicates("code").index)]
    merged_away[losers["link"].to_numpy()] = True
    lost = links.iloc[losers["link"].to_numpy()].reset_index(drop=True)
    survivors = survivor_of.reindex(losers["code"].to_numpy()).astype("string").reset_index(drop=True)
    at = utc_aware(people["last_modified_date"].to_numpy()[at_people[losers["link"].to_numpy()]])
    common = dict(object="prospect", app_id=lost["prospect_id"], crm_type=lost["crm_type"], crm_id=lost["crm_id"],
                  crm_field=None, old_value=None, direction=CRM_TO_APP, reason="merged_in_crm", at=at)
    return concat_changes([
        change_rows(**common, field="is_deleted", field_type="boolean", new_value="true"),
        change_rows(**common, field="merged_into", field_type="string", new_value=survivors),
    ]), merged_away


def _deletions(prospects: pd.DataFrame, prospect_ids: pd.Series, live: np.ndarray, links: pd.DataFrame,
               people: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    stored = prospects["crm_id"].astype("string").reset_index(drop=True)
    gone = live & (at >= 0)
    gone[gone] = people["fate"].to_numpy()[at[gone]] == DELETED
    gone &= positions(prospect_ids, links["prospect_id"]) < 0  # a manual match may still hold it
    rows = np.flatnonzero(gone)
    return change_rows(
        object="prospect", app_id=prospect_ids.iloc[rows], crm_type=people["crm_type"].iloc[at[rows]],
        crm_id=stored.iloc[rows], field="is_deleted", crm_field=None, field_type="boolean",
        old_value="false", new_value="true",
        direction=CRM_TO_APP, reason="deleted_in_crm", at=utc_aware(people["changed_at"].to_numpy()[at[rows]]))


def people_to_create(people: pd.DataFrame, stored_at: np.ndarray, matched_at: np.ndarray,
                     since: pd.Timestamp | None) -> np.ndarray:
    """Positions in `people` of the records that become new prospects (F4.1): live, unconverted,
    held by no prospect (free_people_rows), changed since the last sync."""
    free = free_people_rows(people, stored_at, matched_at)
    if since is not None:
        free = free[people["changed_at"].to_numpy()[free] > utc_instant(since)]
    return free


def match_positions(matched: pd.DataFrame, prospect_ids: pd.Series, live: np.ndarray,
                    people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each match's prospect is among `prospect_ids` and its record in `people` (-1 when
    nowhere), and which matches link a live prospect to a live record."""
    matched_rows = positions(matched["prospect_id"], prospect_ids)
    matched_people = positions(matched["crm_id"], people["crm_id"])
    keep = (matched_rows >= 0) & (matched_people >= 0)
    keep[keep] = live[matched_rows[keep]] & (people["fate"].to_numpy()[matched_people[keep]] == LIVE)
    return matched_rows, matched_people, keep


def creations(people: pd.DataFrame, free: np.ndarray, app_columns: Sequence[str], frames: dict[str, pd.DataFrame],
              crm_columns: dict[str, dict[str, pd.Series]], n_contacts: int, mappings: Sequence[FieldMapping],
              matched_users: pd.DataFrame | None) -> pd.DataFrame:
    """The created_in_crm change rows making a new prospect of each record at `free` (positions in
    `people`, Contacts first, then Leads at n_contacts onwards in `frames`)."""
    parts = []
    for crm_type in (CONTACT, LEAD):
        rows = free[people["crm_type"].to_numpy()[free] == crm_type]
        if rows.size == 0:
            continue
        frame_rows = rows - (0 if crm_type == CONTACT else n_contacts)
        crm_ids = people["crm_id"].iloc[rows].reset_index(drop=True)
        new_ids = new_prospect_ids(crm_ids)
        at = utc_aware(people["last_modified_date"].to_numpy()[rows])
        common = dict(object="prospect", app_id=new_ids, crm_type=crm_type, crm_id=crm_ids, old_value=None,
                      direction=CRM_TO_APP, reason="created_in_crm")
        parts.append(change_rows(**common, field="crm_id", crm_field="Id", field_type="string", new_value=crm_ids,
                                 at=at))
        parts.append(change_rows(**common, field="crm_type", crm_field=None, field_type="string",
                                 new_value=crm_type, at=at))
        frame = frames[crm_type]
        parts.append(created_values(
            app_object="prospect", crm_object=crm_type, crm=frame, crm_rows=frame_rows, new_ids=new_ids,
            mappings=mappings, field_types=PROSPECT_FIELDS, app_columns=list(app_columns), at=at,
            crm_columns=crm_columns[crm_type]))
        if matched_users is not None and "owner_id" in frame.columns:
            owners = _app_owner(frame["owner_id"].reset_index(drop=True).iloc[frame_rows], matched_users)
            present = owners.notna().to_numpy()
            parts.append(change_rows(**{**common, "app_id": new_ids[present], "crm_id": crm_ids[present]},
                                     field="owner_user_id", crm_field="OwnerId", field_type="string",
                                     new_value=owners[present], at=at[present]))
    return concat_changes(parts)


def _owners(linked: LinkedRecords, since: pd.Timestamp | None, matched_users: pd.DataFrame) -> pd.DataFrame:
    if "owner_id" not in linked.crm.columns or "owner_user_id" not in linked.app.columns:
        return concat_changes([])
    rows, crm_rows = linked.app_rows, linked.crm_rows
    if since is not None:
        recent = changed_at(linked.crm)[crm_rows] > utc_instant(since)
        rows, crm_rows = rows[recent], crm_rows[recent]
    owners = _app_owner(linked.crm["owner_id"].reset_index(drop=True).iloc[crm_rows], matched_users)
    current = linked.app["owner_user_id"].astype("string").reset_index(drop=True).iloc[rows].reset_index(drop=True)
    differs = owners.notna().to_numpy() & ~_same_text(current, owners)
    app_ids = linked.app["prospect_id"].astype("string").reset_index(drop=True).iloc[rows].reset_index(drop=True)
    crm_ids = linked.crm["id"].astype("string").reset_index(drop=True).iloc[crm_rows].reset_index(drop=True)
    at = utc_aware(utc_naive(linked.crm["last_modified_date"])[crm_rows])
    return change_rows(
        object="prospect", app_id=app_ids[differs], crm_type=linked.crm_object, crm_id=crm_ids[differs],
        field="owner_user_id", crm_field="OwnerId", field_type="string", old_value=current[differs],
        new_value=owners[differs], direction=CRM_TO_APP, reason="owner_from_crm", at=at[differs])


def _app_owner(crm_owner_ids: pd.Series, matched_users: pd.DataFrame) -> pd.Series:
    return taken(matched_users["user_id"], positions(crm_owner_ids, matched_users["crm_user_id"]))


def _writers(prospects: pd.DataFrame, people: pd.DataFrame, rows: np.ndarray, held: np.ndarray) -> pd.Series:
    """CRM id → the one prospect that writes to it, for records several linked prospects hold
    (`rows`, `held`: positions in `prospects` and `people` of the links)."""
    return writer_of_each_record(pd.DataFrame({
        "prospect_id": prospects["prospect_id"].iloc[rows].to_numpy(), "crm_id": people["crm_id"].iloc[held].to_numpy(),
        "updated_at": prospects["updated_at"].iloc[rows].to_numpy()}))


def _one_sender_per_record(outbound: pd.DataFrame, writers: pd.Series) -> pd.DataFrame:
    """When several prospects hold one CRM record, send only its writer's values
    (record_writers), even when the writer has nothing to send: another's would flip-flop it."""
    if writers.empty:
        return outbound
    writer = outbound["crm_id"].astype("string").map(writers)
    keep = (writer.isna() | (writer == outbound["app_id"].astype("string"))).fillna(True).to_numpy(dtype=bool)
    return outbound.loc[keep].reset_index(drop=True)


def _same_text(a: pd.Series, b: pd.Series) -> np.ndarray:
    a, b = a.reset_index(drop=True).astype("string"), b.reset_index(drop=True).astype("string")
    return ((a == b).fillna(False) | (a.isna() & b.isna())).to_numpy(dtype=bool)
