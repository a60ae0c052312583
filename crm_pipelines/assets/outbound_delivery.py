"""`crm_push_results`: the delivery of every outbound plan to the tenant's CRM, and its ledger (P8).

Each run sends what the plans hold and the ledger says is due, in calls of at most 1,000 records
(Salesforce: five sObject Collections of 200 in one Composite call), within the tenant's API
budget and above the org's reserve for its other integrations (S1): when the budget, that reserve
or the CRM says "not now", what was sent is kept, a deferral is recorded and the `api_limit_backoff` sensor relaunches the push when
the window reopens. With pushes disabled (S3) or the tenant disconnected (T3) nothing is sent.
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.assets.deferred_runs import require_connected, settle_deferral
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.assets.report_tables import markdown_table
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.outbound import concat_items
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.exchange.push_delivery import PushRun, deliver
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.push_ledger import ledger_counts, read_ledger
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tables import PUSH_PLANS

OUTBOUND_PUSH_JOB = "outbound_push"
DELIVERY = "crm_push_results"


@asset(**per_tenant(
    "outbound", {"salesforce", "sql"}, ins={plan: AssetIn() for plan in PUSH_PLANS},
    # The Tasks' WhoIds and the write-backs are read from and written to the linked app records.
    deps=[AssetKey("synced_prospects"), AssetKey("synced_campaigns")],
))
def crm_push_results(context: AssetExecutionContext, database: DatabaseResource, crm: CrmClientResource,
                     clock: ClockResource, activity_event_tasks: pd.DataFrame, touch_outcome_tasks: pd.DataFrame,
                     new_crm_leads: pd.DataFrame, contact_pushes: pd.DataFrame, lead_score_updates: pd.DataFrame,
                     field_updates: pd.DataFrame, campaign_pushes: pd.DataFrame) -> MaterializeResult:
    """The delivery ledger: one row per CRM record the app writes (a Task, a new Lead or Campaign, a
    record whose fields it updates), by its App_External_Id__c, with its state (pending, sent,
    failed), CRM id, attempts and the CRM's error. Upserts by external id make a retried or re-run
    push update what it created instead of duplicating it; a record the CRM refused for good is not
    sent again until it changes. Read it with `crm-pipelines push status`."""
    db = database.db()
    tenant = database.partition_tenant(context)
    if not tenant.settings.push.enabled:
        return counted(context, db, {"push": "off (S3 push.enabled): nothing sent", "sent": 0,
                                           **ledger_counts(db, tenant.id)})
    require_connected(tenant, "nothing is written to its CRM (T3). Its pushes wait and go out after "
                              "`crm-pipelines tenant reconnect`.")
    plans = (activity_event_tasks, touch_outcome_tasks, new_crm_leads, contact_pushes, lead_score_updates,
             field_updates, campaign_pushes)
    items = concat_items([plan.drop(columns=["position"]) for plan in plans])
    budget = ApiBudget(db, tenant.id, tenant.settings.api_budget.daily_limit, clock.now)
    tenant_crm = crm.crm_for(tenant, budget.reserve, clock.now)
    run = deliver(tenant_crm, db, tenant.id, items, now=clock.now, run_id=context.run.run_id, batch_name=DELIVERY,
                  progress=context.log.info, room_for=budget.require)
    settle_deferral(context, db, tenant.id, OUTBOUND_PUSH_JOB, DELIVERY, run.deferred, clock.now,
                    done=run.stopped is None)
    metadata = _metadata(run, db, tenant.id, budget.status().remaining)
    if run.stopped is not None:
        raise Failure(description=f"push to the CRM of tenant '{tenant.id}' stopped after {run.answers.sent} "
                      f"record(s): {run.stopped}. What was sent is in the ledger; the rest stays due for the next push.",
                      metadata=metadata)
    return counted(context, db, metadata)


def _metadata(run: PushRun, db, tenant_id: str, calls_left: int) -> dict:
    failed = read_ledger(db, tenant_id, state="failed")
    metadata = {
        "push": "on", "due": run.due, "sent": run.answers.sent, "failed": run.answers.failed,
        "retry_later": run.answers.retry_later,
        "waiting_for_crm_id": run.waiting_for_crm_id, "already_sent": run.already_sent,
        "failed_unchanged_not_retried": run.failed_unchanged, "cannot_send": run.cannot_send,
        "not_sent_record_deleted_in_crm": run.deleted_in_crm,
        "api_calls_used": run.calls, "api_calls_left": calls_left, "deferred": run.deferred is not None,
        **{f"sent_{kind}": n for kind, n in sorted(run.answers.sent_by_kind.items())},
        **{f"ledger_{state}": n for state, n in ledger_counts(db, tenant_id).items()},
        "failed_records": markdown_table(failed[["sobject", "external_id", "kind", "attempts", "error_code", "error_message"]]),
    }
    if run.deferred is not None:
        metadata["deferred_reason"] = run.deferred.reason
        metadata["resume_at"] = MetadataValue.text(run.deferred.resume_at.isoformat())
    return metadata
