"""Delivering one tenant's due push items to its CRM: the batch loop behind `crm_push_results` (P8).

Stage by stage (new records, updates, Tasks), batch by batch: mark the batch pending, send it in
one write call (as many records as the CRM takes in one: 1,000 for Salesforce, five collections
in one Composite), commit the CRM's answer with the write-backs and log rows. The run's first call
reads the org's usage (org_usage), and the CRM's adapter sends nothing that would take the org below the
reserve kept for its other integrations; nothing is aimed at a record deleted in the CRM. When the
budget, that reserve or the CRM says "not now", what was sent is committed and the `NotNow` is
returned for the caller to defer; when the CRM refuses a whole call or stays down through the retries, delivery stops there
with the error, and the records not sent stay due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from crm_pipelines.core import outbound
from crm_pipelines.core.outbound.answers import Answers, count_answers
from crm_pipelines.core.outbound.deleted_targets import aimed_at_deleted, target_ids
from crm_pipelines.crm.errors import CrmApiError, CrmTransientError, NotNow, PartlyRefused
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.exchange.org_usage import keep_org_usage, read_org_usage_at_start
from crm_pipelines.store.app_data import read_prospects
from crm_pipelines.store.crm_lookup import deleted_crm_ids, read_converted_leads
from crm_pipelines.store.database import Database
from crm_pipelines.store.push_ledger import (
    answer_unpushable,
    mark_attempted,
    record_batch_error,
    record_outcome,
)
from crm_pipelines.store.push_plan_reads import base_of_sent, ledger_of_items


@dataclass
class PushRun:
    """What one delivery did, for metadata and the deferral: the plan's counts, then the CRM's
    answers and what stayed back."""

    due: int
    already_sent: int
    failed_unchanged: int
    cannot_send: int
    answers: Answers = field(default_factory=Answers)
    waiting_for_crm_id: int = 0
    deleted_in_crm: int = 0
    calls: int = 0
    deferred: NotNow | None = None
    stopped: Exception | None = None


def _send(crm: CrmPort, db: Database, tenant_id: str, batch: pd.DataFrame, run: PushRun, *,
          now: Callable[[], datetime], run_id: str | None, log_batch: str) -> outbound.BatchOutcome:
    """One write: its records marked pending, sent, the CRM's answer committed. A call the CRM
    refused in part (PartlyRefused) commits the answers it gave, then stops the delivery like a
    refused call: the records it did not answer stay pending, with its error."""
    mark_attempted(db, tenant_id, batch, now(), run_id)
    try:
        results = crm.write_batch(batch["operation"].iloc[0], batch["sobject"].iloc[0],
                                  outbound.request_records(batch))
    except PartlyRefused as refused:
        answered = np.array([r is not None for r in refused.results], dtype=bool)
        _commit(db, tenant_id, batch.loc[answered].reset_index(drop=True),
                [r for r in refused.results if r is not None], run, now=now, run_id=run_id, log_batch=log_batch)
        record_batch_error(db, tenant_id, batch.loc[~answered], refused.error_code, refused.crm_message)
        raise
    except CrmApiError as refused:
        record_batch_error(db, tenant_id, batch, refused.error_code, refused.crm_message)
        raise
    except CrmTransientError as down:
        record_batch_error(db, tenant_id, batch, "TRANSIENT", str(down))
        raise
    return _commit(db, tenant_id, batch, results, run, now=now, run_id=run_id, log_batch=log_batch)


def _commit(db: Database, tenant_id: str, batch: pd.DataFrame, results: list, run: PushRun, *,
            now: Callable[[], datetime], run_id: str | None, log_batch: str) -> outbound.BatchOutcome:
    outcome = outbound.batch_outcome(batch, results, pd.Timestamp(now()))
    if len(batch):
        record_outcome(db, tenant_id, outcome, run_id=run_id, batch=log_batch)
        run.answers = count_answers(run.answers, outcome)
    return outcome


def deliver(crm: CrmPort, db: Database, tenant_id: str, items: pd.DataFrame, *,
            now: Callable[[], datetime], run_id: str | None, batch_name: str,
            progress: Callable[[str], None] = lambda line: None,
            room_for: Callable[[int], object] = lambda calls: None) -> PushRun:
    """`progress` hears a line after each batch, so the run's log says how far a long push got.
    `batch_name` names the run's log batches (one per call: `batch_name/000001`, ...).
    `room_for(calls)` raises BudgetExhausted when the tenant's budget has no room for a write's
    calls (the port's `write_calls`): the write is deferred whole instead of cut off half done."""
    ledger = ledger_of_items(db, tenant_id, items)
    plan = outbound.due_items(items, ledger, base_of_sent(db, tenant_id, ledger))
    run = PushRun(due=len(plan.due), already_sent=plan.already_sent, failed_unchanged=plan.failed_unchanged,
                  cannot_send=len(plan.unpushable))
    answer_unpushable(db, tenant_id, outbound.unpushable_requests(plan.unpushable),
                      outbound.unpushable_crossings(plan.unpushable), now(), outbound.unpushable_todos(plan.unpushable))
    progress(f"push: {run.due} records due, {run.already_sent} already sent, {run.cannot_send} cannot be sent")
    stages = outbound.stage_of(plan.due)
    batch_number = 0
    try:
        if len(plan.due):
            read_org_usage_at_start(crm, db, tenant_id, run_id, now)
        for stage in outbound.STAGES:
            part = plan.due.loc[stages == stage].reset_index(drop=True)
            if part.empty:
                continue  # nothing of this stage: neither the prospects nor the delete log are read
            if stage == "tasks":
                # After the new Leads: their ids are on the prospects now, so their Tasks go too.
                part, waiting = outbound.resolve_task_targets(
                    part, read_prospects(db, tenant_id, prospect_ids=part["who_prospect_id"].dropna().astype(str).tolist()),
                    outbound.converted_leads(read_converted_leads(db, tenant_id)),
                    with_type=crm.links_task_by_type)
                run.waiting_for_crm_id = len(waiting)
            # Never aimed at a record deleted in the CRM (E3), even through a link not yet cleared.
            gone = aimed_at_deleted(part, deleted_crm_ids(db, tenant_id, target_ids(part)))
            run.deleted_in_crm += int(gone.sum())
            part = part.loc[~gone].reset_index(drop=True)
            for batch in outbound.batches(part, crm.max_write_batch):
                room_for(crm.write_calls(batch["operation"].iloc[0], batch["sobject"].iloc[0], len(batch)))
                batch_number += 1
                outcome = _send(crm, db, tenant_id, batch, run, now=now, run_id=run_id,
                                log_batch=f"{batch_name}/{batch_number:06d}")
                progress(f"push batch {batch_number} ({stage}: {batch['operation'].iloc[0]} "
                         f"{batch['sobject'].iloc[0]}): {len(batch)} records, {outcome.sent} sent, "
                         f"{outcome.failed} failed, {outcome.retry_later} to retry; "
                         f"{run.answers.sent} of {run.due} sent, {crm.calls_sent} API calls so far")
    except NotNow as not_now:
        run.deferred = not_now
    except (CrmApiError, CrmTransientError) as error:
        run.stopped = error
    keep_org_usage(crm, db, tenant_id, run_id, now)
    run.calls = crm.calls_sent
    return run
