"""Outbound pushes (P1–P8) as pure functions on DataFrames: what the app sends to the CRM, which of
it the delivery ledger says is due, and what each CRM answer means.

    items = concat_items([event_tasks(...), touch_tasks(...), new_lead_items(...),
                          contact_push_items(...), field_update_items(...), campaign_items(...)])
    plan  = due_items(items, ledger, base)              # merged per CRM record, filtered by the ledger
    for batch in batches(plan.due):                     # ≤ the CRM's max_write_batch a call
        outcome = batch_outcome(batch, crm_results, at)  # ledger rows, CRM ids to write back, log rows
"""

from crm_pipelines.core.outbound.activity import event_tasks, touch_tasks, what_ids
from crm_pipelines.core.outbound.contact_pushes import any_triggered, contact_push_items
from crm_pipelines.core.outbound.conversions import converted_leads, live_targets, without_converted_leads
from crm_pipelines.core.outbound.delivery import (
    MAX_BATCH,
    STAGES,
    WAITING_FOR_CRM_ID,
    BatchOutcome,
    batch_outcome,
    batches,
    request_records,
    resolve_task_targets,
    stage_of,
    unpushable_crossings,
    unpushable_requests,
    unpushable_todos,
)
from crm_pipelines.core.outbound.items import (
    EXTERNAL_ID_FIELD,
    PUSH_COLUMNS,
    PUSH_REASONS,
    concat_items,
    empty_items,
    items_frame,
)
from crm_pipelines.core.outbound.ledger import LEDGER_COLUMNS, STATES, DuePlan, due_items, merge_items
from crm_pipelines.core.outbound.records import campaign_items, field_update_items, new_lead_items

__all__ = [
    "EXTERNAL_ID_FIELD", "LEDGER_COLUMNS", "MAX_BATCH", "PUSH_COLUMNS", "PUSH_REASONS", "STAGES", "STATES",
    "WAITING_FOR_CRM_ID", "BatchOutcome", "DuePlan", "batch_outcome", "batches", "campaign_items", "concat_items",
    "any_triggered", "contact_push_items", "converted_leads", "due_items", "empty_items", "event_tasks", "field_update_items",
    "items_frame", "live_targets", "merge_items", "new_lead_items", "request_records", "resolve_task_targets",
    "stage_of", "touch_tasks", "unpushable_crossings", "unpushable_requests", "unpushable_todos", "what_ids",
    "without_converted_leads",
]
