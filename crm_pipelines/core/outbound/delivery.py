"""Delivering due push items (P8), as pure steps around the CRM calls the caller makes.

    for stage in STAGES:                               # new records, then updates, then Tasks
        ready, waiting = resolve_task_targets(...)     # Tasks only: WhoId from the prospect now
        for batch in batches(ready):                   # ≤ max_write_batch records, one sObject, no id twice
            body = request_records(batch)              # → collections of 200 (upsert or update)
            outcome = batch_outcome(batch, results, at)  # ledger rows, write-backs, log rows

New records go first, so the CRM ids written back to prospects and campaigns can serve the Tasks
of the same run. Every record of a batch gets its own result: a permanent error (a validation rule,
a required field) fails that record alone; a transient one (a locked row) leaves it pending.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.base import BASE_COLUMNS, empty_base
from crm_pipelines.core.field_sync.log_rows import LOG_COLUMNS
from crm_pipelines.core.matching.frames import flag
from crm_pipelines.core.outbound.contact_pushes import NOTHING_TO_SEND
from crm_pipelines.core.outbound.conversions import live_targets
from crm_pipelines.core.outbound.items import EXTERNAL_ID_FIELD, as_base_text, item_records
from crm_pipelines.core.outbound.ledger import LEDGER_COLUMNS

MAX_BATCH = 200
STAGES = ("records", "updates", "tasks")
# Per-record errors worth trying again at the next push; every other error code is the record's own.
TRANSIENT_RECORD_ERRORS = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG",
                                     "ALL_OR_NONE_OPERATION_ROLLED_BACK"})
WAITING_FOR_CRM_ID = "waiting: the prospect has no CRM Lead or Contact yet"


def stage_of(due: pd.DataFrame) -> np.ndarray:
    """records (new Leads, new Campaigns), updates (by id), tasks (Task upserts)."""
    is_task = (due["sobject"] == "Task").fillna(False).to_numpy(dtype=bool)
    is_update = (due["operation"] == "update").fillna(False).to_numpy(dtype=bool)
    return np.where(is_task, "tasks", np.where(is_update, "updates", "records"))


def resolve_task_targets(tasks: pd.DataFrame, prospects: pd.DataFrame,
                         converted: pd.Series | None = None, *,
                         with_type: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tasks with WhoId set from their prospect's CRM id as the app holds it now, a converted Lead
    replaced by its Contact (`converted`: conversions.converted_leads, X5); those whose prospect
    has none, or only a converted Lead whose Contact is not known, or is deleted, wait, untouched,
    for a later push. `with_type` (a CRM whose ids do not say their object: the port's
    `links_task_by_type`) adds WhoType, Lead or Contact."""
    live = prospects.loc[~flag(prospects, "is_deleted") & prospects["crm_id"].notna()]
    types = live["crm_type"] if "crm_type" in live else pd.Series(pd.NA, index=live.index, dtype="string")
    target, target_type, nowhere = live_targets(live["crm_id"], types, converted)
    live = live.assign(crm_id=target.to_numpy(), crm_type=target_type.to_numpy()).loc[~nowhere]
    by_prospect = live.set_index(live["prospect_id"].astype("string"))
    by_prospect = by_prospect.loc[~by_prospect.index.duplicated()]
    prospect = tasks["who_prospect_id"].astype("string")
    who = prospect.map(by_prospect["crm_id"].astype("string"))
    has = who.notna().to_numpy()
    ready = tasks.loc[has].reset_index(drop=True)
    ready["fields"] = [{**f, "WhoId": w} for f, w in zip(ready["fields"], who[has], strict=True)]
    if with_type:
        kind = prospect[has].map(by_prospect["crm_type"].astype("string"))
        ready["fields"] = [{**f, "WhoType": None if pd.isna(t) else t}
                           for f, t in zip(ready["fields"], kind, strict=True)]
    return ready, tasks.loc[~has].reset_index(drop=True)


def batches(items: pd.DataFrame, size: int = MAX_BATCH) -> Iterator[pd.DataFrame]:
    """Items in calls of at most `size` records of one sObject and operation, in order; a record
    id or external id never twice in one call (the CRM refuses duplicates in a collection)."""
    if items.empty:
        return
    for _, group in items.groupby(["operation", "sobject"], sort=False):
        group = group.reset_index(drop=True)
        keys = group["crm_id"].where(group["operation"] == "update", group["external_id"]).astype("string")
        start, seen = 0, set()
        for i, key in enumerate(keys.tolist()):
            if i - start == size or key in seen:
                yield group.iloc[start:i].reset_index(drop=True)
                start, seen = i, set()
            seen.add(key)
        yield group.iloc[start:].reset_index(drop=True)


def request_records(batch: pd.DataFrame) -> list[dict[str, Any]]:
    """The records of one write: an upsert carries its external id, an update its CRM id (the
    CRM's adapter adds what its wire format needs besides)."""
    records = []
    for operation, external_id, crm_id, fields in zip(
            batch["operation"], batch["external_id"], batch["crm_id"], batch["fields"], strict=True):
        record: dict[str, Any] = dict(fields)
        if operation == "upsert":
            record[EXTERNAL_ID_FIELD] = external_id
        else:
            record["id"] = crm_id
        records.append(record)
    return records


@dataclass(frozen=True)
class BatchOutcome:
    """ledger: LEDGER_COLUMNS rows for the batch's records; prospect_ids / campaign_ids: app id →
    new CRM id to write back; requests: push request id → its status; todos: to-do ids pushed;
    log: connector-log rows (LOG_COLUMNS) of what the CRM accepted; base: the three-way base rows
    (field_sync.base.BASE_COLUMNS) the accepted values of prospects and campaigns become (F3);
    crossings: prospects whose interest-threshold crossing was answered (P4c)."""

    ledger: pd.DataFrame
    prospect_ids: dict[str, str]
    campaign_ids: dict[str, str]
    requests: dict[str, str]
    todos: list[str]
    log: pd.DataFrame
    sent: int
    failed: int
    retry_later: int
    base: pd.DataFrame = field(default_factory=empty_base)
    crossings: list[str] = field(default_factory=list)


def batch_outcome(batch: pd.DataFrame, results: Sequence[dict[str, Any]], at: pd.Timestamp) -> BatchOutcome:
    """What the CRM's per-record `results` of one call mean for the ledger, the app and the log."""
    if len(results) != len(batch):
        raise ValueError(f"the CRM answered {len(results)} results for {len(batch)} records")
    ledger, log, base = [], [], []
    created: dict[str, dict[str, str]] = {"prospect": {}, "campaign": {}}
    answers = _Answers()
    states = {"sent": 0, "failed": 0, "pending": 0}
    for item, result in zip(item_records(batch), results, strict=True):
        row = _ledger_row(item, result, at)
        ledger.append(row)
        state, crm_id = row["state"], row["crm_id"]
        states[state] += 1
        if state == "sent":
            if item["operation"] == "upsert" and crm_id and item["app_object"] in created:
                created[item["app_object"]][item["app_id"]] = crm_id
            log.extend(_log_rows(item, crm_id, at))
            base.extend(_base_rows(item, crm_id))
        if state != "pending":
            answers.answer(item, sent=state == "sent")
    return BatchOutcome(
        ledger=pd.DataFrame(ledger, columns=list(LEDGER_COLUMNS)),
        prospect_ids=created["prospect"], campaign_ids=created["campaign"], requests=answers.requests,
        todos=answers.todos, log=pd.DataFrame(log, columns=list(LOG_COLUMNS)), sent=states["sent"],
        failed=states["failed"], retry_later=states["pending"],
        base=pd.DataFrame(base, columns=list(BASE_COLUMNS)).astype("string") if base else empty_base(),
        crossings=answers.crossings,
    )


def _ledger_row(item: dict[str, Any], result: dict[str, Any], at: pd.Timestamp) -> dict[str, Any]:
    """The item's ledger row after this attempt: sent, failed for good, or pending (a transient error)."""
    errors = result.get("errors") or []
    success = bool(result.get("success"))
    code = None if success else (errors[0].get("statusCode") if errors else "UNKNOWN_ERROR")
    message = None if success else (errors[0].get("message") if errors else "the CRM gave no reason")
    state = "sent" if success else ("pending" if code in TRANSIENT_RECORD_ERRORS else "failed")
    crm_id = result.get("id") or (None if item["crm_id"] is pd.NA else item["crm_id"])
    return {
        "sobject": item["sobject"], "external_id": item["external_id"], "kind": item["kind"],
        "app_object": item["app_object"], "app_id": item["app_id"], "crm_id": crm_id, "state": state,
        "attempts": int(item["attempts"]) + 1,
        "sent_fields": {**item["previous_sent"], **item["fields"]} if success else (item["previous_sent"] or None),
        "attempted_fields": item["fields"], "error_code": code, "error_message": message,
        "last_attempt_at": at, "sent_at": at if success else None,
    }


@dataclass
class _Answers:
    """The triggers a batch answered: push requests (sent or failed), to-dos and threshold crossings."""

    requests: dict[str, str] = field(default_factory=dict)
    todos: list[str] = field(default_factory=list)
    crossings: list[str] = field(default_factory=list)

    def answer(self, item: dict[str, Any], sent: bool) -> None:
        for trigger in _triggers(item):
            kind, _, trigger_id = trigger.partition(":")
            if kind == "request":
                self.requests[trigger_id] = "sent" if sent else "failed"
            elif kind == "todo":
                # Answered either way: a to-do refused for good must not push again every run.
                self.todos.append(trigger_id)
            elif kind == "threshold":
                self.crossings.append(trigger_id)  # answered either way, as a to-do is


def unpushable_requests(unpushable: pd.DataFrame) -> dict[str, str]:
    """Push requests answered without a send: their prospect cannot be pushed (see the item's note)."""
    out = {}
    for item in unpushable.to_dict("records"):
        for trigger in _triggers(item):
            kind, _, trigger_id = trigger.partition(":")
            if kind == "request":
                out[trigger_id] = "skipped"
    return out


def unpushable_todos(unpushable: pd.DataFrame) -> list[str]:
    """To-dos answered without a send: their prospect's CRM record has everything already. Those of
    a prospect that cannot be pushed stay open, so the push goes once it can."""
    nothing = unpushable.loc[unpushable["note"].str.endswith(NOTHING_TO_SEND).fillna(False)]
    return [trigger_id for item in nothing.to_dict("records") for kind, _, trigger_id in
            (t.partition(":") for t in _triggers(item)) if kind == "todo"]


def unpushable_crossings(unpushable: pd.DataFrame) -> list[str]:
    """Prospects whose threshold crossing is answered without a send: they cannot be pushed."""
    return [trigger_id for item in unpushable.to_dict("records") for kind, _, trigger_id in
            (t.partition(":") for t in _triggers(item)) if kind == "threshold"]


def _triggers(item: dict[str, Any]) -> list[str]:
    triggers = item.get("triggers")
    return [] if triggers is None or triggers is pd.NA else [t for t in str(triggers).split(",") if t]


def _log_rows(item: dict[str, Any], crm_id: str, at: pd.Timestamp) -> list[dict[str, Any]]:
    base = {"at": at, "object": item["app_object"], "app_id": item["app_id"], "crm_type": item["sobject"],
            "crm_id": crm_id, "direction": "app_to_crm", "reason": item["kind"]}
    if item["sobject"] == "Task":
        return [{**base, "field": None, "crm_field": None, "old_value": None,
                 "new_value": str(item["fields"].get("Subject", ""))}]
    names = item["app_fields"] or {}
    old = item["old_values"] or {}
    reasons = item.get("reasons") or {}
    return [{**base, "field": names.get(crm_field) or ("owner" if crm_field == "OwnerId" else None),
             "reason": reasons.get(crm_field, base["reason"]),
             "crm_field": crm_field, "old_value": old.get(crm_field),
             "new_value": None if value is None else as_base_text(value)}
            for crm_field, value in item["fields"].items()]


def _base_rows(item: dict[str, Any], crm_id: str | None) -> list[dict[str, Any]]:
    """The values the CRM confirmed, as the base both sides now share (F3)."""
    if item["sobject"] == "Task" or item["app_object"] not in ("prospect", "campaign") or not crm_id:
        return []
    names = item["app_fields"] or {}
    return [{"object": item["app_object"], "app_id": item["app_id"], "crm_id": crm_id, "field": names[crm_field],
             "value": None if value is None else as_base_text(value)}
            for crm_field, value in item["fields"].items() if names.get(crm_field)]

