"""P4: prospects pushed to the CRM because something asked for it.

Three triggers push a prospect between the scheduled pushes (the fourth, P4b, is the tenant's push
interval itself, which sends everything due):

- a) a user's push request (push_requests, status pending);
- c) the lead score crossing the tenant's interest threshold (interest_crossings, pending until pushed):
  once per crossing, however long the score stays above; dropping below and crossing again is a
  new crossing;
- d) a to-do assigned to a user and not pushed yet: the prospect goes out with that user's matched
  CRM user as its owner (the latest to-do of a prospect decides).

A triggered prospect with a CRM Lead or Contact has its push mapped fields written, and of its
two-way fields only those the three-way rule sends app → CRM (F3: changed in the app since the
base, or, with no base yet, the app record newer; `changes`, the push's outbound field changes), so
a push never reverts a CRM edit of a field the app did not change; a to-do adds the owner. Empty
app values go only when F4.5 allows it. With nothing to write the trigger is still answered (a
`skip` item saying so). A prospect without a CRM id is created as a Lead with every mapped field
when F7 allows it, and otherwise skipped with the reason. Every trigger is forced: its fields are
sent even when the ledger says the CRM already has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.field_sync.new_leads import REQUIRED_LEAD_FIELDS, eligible_new_leads
from crm_pipelines.core.matching.frames import flag, require
from crm_pipelines.core.outbound.conversions import live_targets
from crm_pipelines.core.outbound.duplicates import one_writer_per_record
from crm_pipelines.core.outbound.items import column_json_values, concat_items, empty_items, external_ids, items_frame
from crm_pipelines.settings import ConnectorSettings, FieldMapping
from crm_pipelines.settings.fields import PROSPECT_FIELDS

CONVERTED_NOWHERE = ("holds a converted Lead whose Contact is not extracted yet: nothing goes to a converted Lead "
                     "(X5), so the push waits for the sync that brings the Contact")
NOTHING_TO_SEND = ("has nothing to send: the CRM has every field the app changed, and no push mapped field "
                   "or owner is due")
NOT_ELIGIBLE = ("has no CRM id and is not eligible as a new Lead under F7 "
                "(it needs a last name, a company and an email, and must not be a contact)")


def contact_push_items(
    prospects: pd.DataFrame,
    push_requests: pd.DataFrame,
    todos: pd.DataFrame,
    matched: pd.DataFrame,
    *,
    crm_user_of: pd.Series,
    mappings: Sequence[FieldMapping],
    settings: ConnectorSettings,
    crossings: pd.DataFrame,
    changes: pd.DataFrame,
    converted: pd.Series | None = None,
) -> pd.DataFrame:
    """Push items for every triggered prospect: updates by CRM id, Lead upserts, or `skip` rows
    whose note says why (see the module doc); of duplicate prospects on one record, only its
    writer updates it. `crossings`: prospect_id, crossed_at of the threshold crossings not pushed
    yet. `changes`: the push's app → CRM field changes (object, app_id, crm_id, crm_field; the
    outbound_field_changes rows): a linked record's two-way fields go only where they have one.
    `converted` (conversions.converted_leads): a prospect whose stored id is a converted Lead
    is pushed to its Contact, with the Contact's mappings (X5)."""
    require(prospects, ("prospect_id", "crm_id", "crm_type", "lead_score", "owner_user_id", "is_deleted", "updated_at"),
            "prospects")
    triggers = _triggers(push_requests, todos, crossings, crm_user_of)
    if triggers.empty:
        return empty_items()
    found = _triggered(prospects, matched, triggers, converted)
    parts, changed = [], _two_way_changes(changes)
    for crm_type in ("Lead", "Contact"):
        these = found.linked & (found.picked["crm_type"].astype("string") == crm_type).fillna(False).to_numpy()
        if these.any():
            parts.append(_nothing_to_send(_records(found.picked[these], found.triggers[these], crm_type, "update",
                                                   mappings, settings, two_way_changes=changed)))
    if found.eligible.any():
        parts.append(_new_leads(found, crm_user_of, mappings, settings))
    skipped = ~(found.linked | found.eligible)
    if skipped.any():
        parts.append(_skips(found, skipped))
    return one_writer_per_record(concat_items(parts), prospects)


def any_triggered(push_requests: pd.DataFrame, todos: pd.DataFrame, crossings: pd.DataFrame) -> bool:
    """Whether anything asks for a push (a pending request, an open to-do, a threshold crossing):
    without one, contact_push_items is empty whatever the prospects hold."""
    return not triggered_ids(push_requests, todos, crossings).empty


def triggered_ids(push_requests: pd.DataFrame, todos: pd.DataFrame, crossings: pd.DataFrame) -> pd.Series:
    """The ids of the prospects something asks to push, each once."""
    return _triggers(push_requests, todos, crossings, pd.Series(dtype="string"))["prospect_id"].astype("string")


def deciding_prospects(placing: pd.DataFrame, triggered: pd.Series, converted: pd.Series | None = None) -> pd.Series:
    """The ids of the prospects contact_push_items needs whole to push `triggered`: those, every
    prospect whose email is one of theirs once normalized (F7 makes one new Lead per email, the
    earliest created), and every prospect storing the CRM id one of them stores or pushes to
    (a converted Lead's Contact, X5: the record's writer is decided among its holders). Given
    them, it gives what it gives on every prospect of the tenant. `placing`: prospect_id, crm_id,
    email of every prospect."""
    require(placing, ("prospect_id", "crm_id", "email"), "prospects")
    ids = placing["prospect_id"].astype("string")
    mine = ids.isin(triggered.dropna()).to_numpy(dtype=bool)
    emails = normalize_emails(placing["email"])
    stored = placing["crm_id"].astype("string")
    targets, _, _ = live_targets(stored[mine], pd.Series(pd.NA, index=stored[mine].index, dtype="string"), converted)
    records = pd.concat([stored[mine], targets], ignore_index=True).dropna()
    sharing = (emails.isin(emails[mine].dropna()).to_numpy(dtype=bool)
               | stored.isin(records).fillna(False).to_numpy(dtype=bool))
    return ids[mine | sharing].drop_duplicates().reset_index(drop=True)


@dataclass(frozen=True)
class _Triggered:
    """The triggered prospects that exist (`picked`, aligned with `triggers`), each on the live
    record it pushes to, and which way each goes: an update of its record (`linked`), a new Lead
    (`eligible`), or neither."""

    triggers: pd.DataFrame
    picked: pd.DataFrame
    deleted: np.ndarray
    converted_nowhere: np.ndarray
    linked: np.ndarray
    eligible: np.ndarray


def _triggered(prospects: pd.DataFrame, matched: pd.DataFrame, triggers: pd.DataFrame,
               converted: pd.Series | None) -> _Triggered:
    people = prospects.reset_index(drop=True)
    row_of = pd.Series(np.arange(len(people)), index=people["prospect_id"].astype("string"))
    row_of = row_of[~row_of.index.duplicated()]
    triggers = triggers.loc[triggers["prospect_id"].isin(row_of.index)].reset_index(drop=True)
    rows = row_of.loc[triggers["prospect_id"]].to_numpy()
    picked = people.iloc[rows].reset_index(drop=True)
    target, target_type, converted_nowhere = live_targets(picked["crm_id"], picked["crm_type"], converted)
    picked = picked.assign(crm_id=target, crm_type=target_type)
    deleted = flag(picked, "is_deleted")
    linked = picked["crm_id"].notna().to_numpy() & ~deleted & ~converted_nowhere
    eligible = np.isin(rows, eligible_new_leads(people, matched)) & ~linked & ~deleted
    return _Triggered(triggers, picked, deleted, converted_nowhere, linked, eligible)


def _new_leads(found: _Triggered, crm_user_of: pd.Series, mappings: Sequence[FieldMapping],
               settings: ConnectorSettings) -> pd.DataFrame:
    eligible = found.eligible
    # Without a to-do, a new Lead is owned as P3 owns it: by the prospect's app owner's CRM user.
    app_owner = found.picked.loc[eligible, "owner_user_id"].astype("string").map(crm_user_of).to_numpy()
    these = found.triggers[eligible].assign(owner=lambda t: t["owner"].where(t["owner"].notna(), app_owner))
    return _records(found.picked[eligible], these, "Lead", "upsert", mappings, settings,
                    required=REQUIRED_LEAD_FIELDS)


def _skips(found: _Triggered, skipped: np.ndarray) -> pd.DataFrame:
    """`skip` items for the triggered prospects that can go nowhere, saying why."""
    triggers, converted_nowhere = found.triggers, found.converted_nowhere
    note = np.where(found.deleted[skipped], "is deleted in the app",
                    np.where(converted_nowhere[skipped], CONVERTED_NOWHERE, NOT_ELIGIBLE))
    return items_frame(
        kind="contact_push", sobject="Lead", operation="skip",
        external_id=external_ids("prospect", triggers.loc[skipped, "prospect_id"]),
        crm_id=found.picked.loc[skipped, "crm_id"].where(converted_nowhere[skipped]), app_object="prospect",
        app_id=triggers.loc[skipped, "prospect_id"], who_prospect_id=None,
        fields=None, triggers=triggers.loc[skipped, "triggers"], forced=False,
        note=pd.Series("prospect " + triggers.loc[skipped, "prospect_id"].to_numpy() + " " + note, dtype="string"),
    )


def _triggers(requests: pd.DataFrame, todos: pd.DataFrame, crossings: pd.DataFrame,
              crm_user_of: pd.Series) -> pd.DataFrame:
    """One row per triggered prospect: prospect_id, triggers (text), forced, owner (CRM user id or NA)."""
    found = []
    if len(requests):
        pending = requests.loc[(requests["status"] == "pending").fillna(False)]
        found.append(pd.DataFrame({"prospect_id": pending["prospect_id"].astype("string"),
                                   "trigger": "request:" + pending["request_id"].astype("string"),
                                   "forced": True, "owner": pd.NA, "at": pd.NaT}))
    if len(todos):
        open_todos = todos.loc[todos["assignee_user_id"].notna()]
        if "pushed_at" in open_todos.columns:
            open_todos = open_todos.loc[open_todos["pushed_at"].isna()]
        found.append(pd.DataFrame({"prospect_id": open_todos["prospect_id"].astype("string"),
                                   "trigger": "todo:" + open_todos["todo_id"].astype("string"), "forced": True,
                                   "owner": open_todos["assignee_user_id"].astype("string").map(crm_user_of),
                                   "at": pd.to_datetime(open_todos["created_at"], utc=True)}))
    if len(crossings):
        found.append(pd.DataFrame({"prospect_id": crossings["prospect_id"].astype("string"),
                                   "trigger": "threshold:" + crossings["prospect_id"].astype("string"),
                                   "forced": True, "owner": pd.NA,
                                   "at": pd.to_datetime(crossings["crossed_at"], utc=True)}))
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame(columns=["prospect_id", "triggers", "forced", "owner"])
    every = pd.concat(found, ignore_index=True).sort_values(["prospect_id", "at", "trigger"], kind="stable", na_position="first")
    grouped = every.groupby("prospect_id", sort=True)
    return pd.DataFrame({
        "prospect_id": pd.Series(list(grouped.groups), dtype="string"),
        "triggers": grouped["trigger"].agg(",".join).astype("string").to_numpy(),
        "forced": grouped["forced"].any().to_numpy(dtype=bool),
        # The latest to-do's assignee owns the prospect (rows are in time order).
        "owner": grouped["owner"].agg(lambda o: o.dropna().iloc[-1] if o.notna().any() else pd.NA).to_numpy(),
    })


def _two_way_changes(changes: pd.DataFrame) -> pd.MultiIndex:
    """(app id, CRM id, CRM field) of every linked prospect's field the app should change."""
    require(changes, ("object", "app_id", "crm_id", "crm_field"), "outbound_field_changes")
    rows = changes.loc[((changes["object"] == "prospect") & changes["crm_id"].notna()).fillna(False)]
    return pd.MultiIndex.from_arrays([rows[c].astype("string") for c in ("app_id", "crm_id", "crm_field")])


def _nothing_to_send(items: pd.DataFrame) -> pd.DataFrame:
    """Updates with no field to write made `skip`, so their triggers are answered without a call."""
    empty = np.fromiter((not f for f in items["fields"]), dtype=bool, count=len(items))
    if not empty.any():
        return items
    items = items.copy()
    items.loc[empty, "note"] = "prospect " + items.loc[empty, "app_id"] + " " + NOTHING_TO_SEND
    items.loc[empty, "operation"] = "skip"
    return items


def _records(people: pd.DataFrame, triggers: pd.DataFrame, crm_type: str, operation: str,
             mappings: Sequence[FieldMapping], settings: ConnectorSettings,
             required: tuple[tuple[str, str], ...] = (), two_way_changes: pd.MultiIndex | None = None) -> pd.DataFrame:
    """One item per prospect: every mapped field, or, given `two_way_changes` (updates of linked
    records), the push fields and only the two-way fields among those changes (F3)."""
    people = people.reset_index(drop=True)
    triggers = triggers.reset_index(drop=True)
    mine = [m for m in mappings
            if m.crm_object == crm_type and m.direction in ("push", "two_way") and m.app_field in people.columns]
    pairs = [(m.crm_field, m.app_field) for m in mine]
    mapped = {app for _, app in pairs}
    pairs += [p for p in required if p[1] not in mapped]
    columns = {crm: column_json_values(people[app], PROSPECT_FIELDS[app]) for crm, app in pairs}
    send = {crm: np.ones(len(people), dtype=bool) for crm, _ in pairs}
    if two_way_changes is not None:
        ids, crm_ids = people["prospect_id"].astype("string"), people["crm_id"].astype("string")
        for m in (m for m in mine if m.direction == "two_way"):
            keys = pd.MultiIndex.from_arrays([ids, crm_ids, pd.Series(m.crm_field, index=ids.index, dtype="string")])
            send[m.crm_field] = keys.isin(two_way_changes)
    send_empty = settings.overwrite_crm_with_empty_app_values and operation == "update"
    fields, app_fields = [], []
    for i in range(len(people)):
        record = {crm: values[i] for crm, values in columns.items()
                  if send[crm][i] and (values[i] is not None or send_empty)}
        owner = triggers["owner"].iloc[i]
        if isinstance(owner, str):
            record["OwnerId"] = owner
        fields.append(record)
        app_fields.append({crm: app for crm, app in pairs if crm in record})
    ids = people["prospect_id"].astype("string")
    return items_frame(
        kind="contact_push", sobject=crm_type, operation=operation, external_id=external_ids("prospect", ids),
        crm_id=people["crm_id"].astype("string") if operation == "update" else None, app_object="prospect",
        app_id=ids, who_prospect_id=None, fields=fields, app_fields=app_fields, old_values=None,
        triggers=triggers["triggers"], forced=triggers["forced"].to_numpy(dtype=bool),
    )
