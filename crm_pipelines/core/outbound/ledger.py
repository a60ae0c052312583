"""The delivery ledger's decisions (P8): which push items are due, with which fields.

The ledger holds one row per CRM record the app writes (sobject, external id): its state, the
CRM id, the fields the CRM confirmed (`sent_fields`), the fields last attempted, attempts, and the
CRM's error. From it:

- an item never attempted goes out with every field;
- a sent one goes out again only with the fields whose values the CRM has not got from us (a whole
  Task or new record again if any changed), unless something asked (forced), then all its fields. A
  value counts as got only while the three-way base (F3) of its field has not moved since: a base
  set after the send (its synced_at later than the ledger's sent_at), or holding another value,
  means the CRM changed the field after we sent it, so the same app value is due again;
- a pending one (attempted, outcome unknown: a crash, a deferral, a transient failure) goes out
  again with every field: upserts by external id and updates by id make that harmless;
- a failed one (the CRM refused it for good: a required field, a validation rule) is not sent
  again with the same values; once the app record changes, or a person asks, it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from crm_pipelines.core.outbound.items import PUSH_COLUMNS, as_base_text, empty_items, item_records

LEDGER_COLUMNS = (
    "sobject", "external_id", "kind", "app_object", "app_id", "crm_id", "state", "attempts", "sent_fields",
    "attempted_fields", "error_code", "error_message", "last_attempt_at", "sent_at",
)
STATES = ("pending", "sent", "failed")

# When two plans write one record, the later kind's value wins: a triggered push reads the app
# record as it is now, the field sync's changes as they were at the last sync.
_KIND_ORDER = ("field_update", "lead_score", "campaign_update", "new_campaign", "new_lead", "contact_push",
               "activity", "touch_outcome")


@dataclass(frozen=True)
class DuePlan:
    """due: the items to send (PUSH_COLUMNS plus `previous_sent`, the fields the CRM had from us,
    and `attempts`); unpushable: `skip` items whose triggers are answered without a send;
    already_sent and failed_unchanged: how many items the ledger held back, and why."""

    due: pd.DataFrame
    unpushable: pd.DataFrame
    already_sent: int
    failed_unchanged: int


def merge_items(items: pd.DataFrame) -> pd.DataFrame:
    """One item per CRM record (sobject, external id): fields, names and old values united (the
    later kind of _KIND_ORDER wins a field), kinds and triggers joined, forced if any is.
    `skip` items are left as they are."""
    sendable = items.loc[items["operation"] != "skip"]
    if sendable.empty:
        return items.loc[items["operation"] == "skip"].reset_index(drop=True)
    rank = sendable["kind"].map({k: i for i, k in enumerate(_KIND_ORDER)}).fillna(len(_KIND_ORDER))
    ordered = sendable.assign(_rank=rank.to_numpy()).sort_values(["sobject", "external_id", "_rank"], kind="stable")
    repeated = ordered.duplicated(["sobject", "external_id"], keep=False).to_numpy()
    single = ordered.loc[~repeated, list(PUSH_COLUMNS)]
    # The rows of one record are consecutive once sorted: merged from plain dicts, not a pandas
    # group each (a seeded org's thousands of records planned twice).
    rows = item_records(ordered.loc[repeated, list(PUSH_COLUMNS)])
    keys = [(row["sobject"], row["external_id"]) for row in rows]
    starts = [i for i in range(len(rows)) if i == 0 or keys[i] != keys[i - 1]]
    merged = [_merge(rows[start:end]) for start, end in zip(starts, [*starts[1:], len(rows)][:len(starts)], strict=True)]
    out = pd.concat([single, pd.DataFrame(merged, columns=list(PUSH_COLUMNS)) if merged else empty_items(),
                     items.loc[items["operation"] == "skip"]], ignore_index=True)
    out = out.astype({c: "string" for c in PUSH_COLUMNS
                      if c not in ("fields", "app_fields", "old_values", "reasons", "forced")})
    return out


def due_items(items: pd.DataFrame, ledger: pd.DataFrame, base: pd.DataFrame | None = None) -> DuePlan:
    """The merged items the ledger says to send now, and what it held back (see the module doc).
    `base`: the three-way base rows (field_sync.base.BASE_COLUMNS and synced_at) of the tenant."""
    merged = merge_items(items)
    unpushable = merged.loc[merged["operation"] == "skip"].reset_index(drop=True)
    merged = merged.loc[merged["operation"] != "skip"].reset_index(drop=True)
    known = {(s, e): row for s, e, row in zip(ledger["sobject"], ledger["external_id"],
                                              ledger.to_dict("records"), strict=True)} if len(ledger) else {}
    bases = _bases_of(ledger, merged, base)
    keep, fields_now, previous, attempts = [], [], [], []
    already_sent = failed_unchanged = 0
    for i, (sobject, external_id, operation, fields, app_fields, forced) in enumerate(zip(
            merged["sobject"], merged["external_id"], merged["operation"], merged["fields"], merged["app_fields"],
            merged["forced"], strict=True)):
        row = known.get((sobject, external_id))
        if row is None:
            keep.append(i), fields_now.append(fields), previous.append({}), attempts.append(0)
            continue
        sent = row["sent_fields"] or {}
        if row["state"] == "pending" or forced:
            send = fields
        else:
            moved = _moved_since_sent(bases.get((sobject, external_id), {}), app_fields or {}, sent, row["sent_at"])
            changed = {k: v for k, v in fields.items() if k not in sent or sent[k] != v or k in moved}
            send = changed if operation == "update" or not changed else fields
            if not send:
                already_sent += 1
                continue
            if row["state"] == "failed" and send == (row["attempted_fields"] or {}):
                failed_unchanged += 1
                continue
        keep.append(i), fields_now.append(send), previous.append(sent), attempts.append(int(row["attempts"] or 0))
    due = merged.iloc[keep].reset_index(drop=True)
    due["fields"] = fields_now
    due["previous_sent"] = previous
    due["attempts"] = pd.Series(attempts, dtype="int64")
    return DuePlan(due=due, unpushable=unpushable, already_sent=already_sent, failed_unchanged=failed_unchanged)


def _bases_of(ledger: pd.DataFrame, merged: pd.DataFrame, base: pd.DataFrame | None
              ) -> dict[tuple[str, str], dict[str, tuple[Any, Any]]]:
    """(sobject, external id) → {app field: (base value, synced_at)} for the ledger's sent records
    among `merged`, each with the CRM record the ledger sent to: found by one join, not per item."""
    if base is None or base.empty or ledger.empty or merged.empty:
        return {}
    keys = ["sobject", "external_id"]
    rows = ledger.loc[ledger["state"] != "pending", [*keys, "app_object", "app_id", "crm_id"]].astype("string")
    rows = rows.merge(merged[keys].astype("string").drop_duplicates(), on=keys)
    found = rows.merge(base.astype({c: "string" for c in ("object", "app_id", "crm_id", "field")}),
                       left_on=["app_object", "app_id", "crm_id"], right_on=["object", "app_id", "crm_id"])
    out: dict[tuple[str, str], dict[str, tuple[Any, Any]]] = {}
    for sobject, external_id, field, value, synced_at in zip(
            found["sobject"], found["external_id"], found["field"], found["value"], found["synced_at"], strict=True):
        out.setdefault((sobject, external_id), {})[field] = (None if value is pd.NA else value, synced_at)
    return out


def _moved_since_sent(bases: dict[str, tuple[Any, Any]], app_fields: dict[str, str], sent: dict[str, Any],
                      sent_at: Any) -> set[str]:
    """The CRM fields whose base moved after we sent them: set later than the record's last send,
    or to a value other than ours (a later send of another field moved sent_at, not this field's
    base)."""
    moved = set()
    for crm_field, app_field in app_fields.items():
        if crm_field not in sent or app_field not in bases:
            continue
        value, synced_at = bases[app_field]
        ours = None if sent[crm_field] is None else as_base_text(sent[crm_field])
        if value != ours or (_known(sent_at) and _known(synced_at)
                             and pd.Timestamp(synced_at) > pd.Timestamp(sent_at)):
            moved.add(crm_field)
    return moved


def _known(at: Any) -> bool:
    return at is not None and not pd.isna(at)


def _merge(group: list[dict[str, Any]]) -> dict[str, Any]:
    """One record's items (item_records rows, in _KIND_ORDER) as one."""
    first = group[0]
    fields: dict[str, Any] = {}
    app_fields: dict[str, str] = {}
    old_values: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for row in group:
        f, a, o, r = row["fields"], row["app_fields"], row["old_values"], row["reasons"]
        # A later kind's other value of a field replaces the earlier one, and with it the reason.
        for key in [k for k in reasons if k in (f or {}) and f[k] != fields.get(k)]:
            del reasons[key]
        fields.update(f or {}), app_fields.update(a or {}), old_values.update(o or {}), reasons.update(r or {})
    triggers = [t for row in group if _known(row["triggers"]) for t in row["triggers"].split(",")]
    crm_ids = [row["crm_id"] for row in group if _known(row["crm_id"])]
    who = [row["who_prospect_id"] for row in group if _known(row["who_prospect_id"])]
    return {
        "kind": "+".join(dict.fromkeys(row["kind"] for row in group)),
        "sobject": first["sobject"], "operation": "upsert" if any(row["operation"] == "upsert" for row in group)
        else "update",
        "external_id": first["external_id"], "crm_id": crm_ids[0] if crm_ids else pd.NA,
        "app_object": first["app_object"], "app_id": first["app_id"],
        "who_prospect_id": who[0] if who else pd.NA,
        "fields": fields, "app_fields": app_fields, "old_values": old_values, "reasons": reasons,
        "triggers": ",".join(dict.fromkeys(triggers)) if triggers else pd.NA,
        "forced": any(bool(row["forced"]) for row in group), "note": pd.NA,
    }
