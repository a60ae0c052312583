"""The gates of a tenant's sync chain (S1, O4, F7): extraction → matching → field sync → workflows,
and the pushes after them.

`crm_extraction_complete` stands between the extraction and everything after it: when an object is
deferred or not fully synced yet it materializes nothing, so Dagster skips every step downstream of
it in the run, and its `extraction_complete` check says why (in the run's log and on the asset in
the UI). `crm_sync_completed` is the chain's last step: it records the completed sync, which is
what `crm_sync_due` counts and what pushes wait for. `crm_sync_ready_for_push` gates the outbound
push the same way: nothing is planned or sent while the tenant's last sync chain is incomplete.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    FreshnessPolicy,
    asset,
)

from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.core.freshness import LONGEST_FREQUENCY, allowed_age
from crm_pipelines.core.sync_chain import Verdict, extraction_verdict, push_verdict
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.crm.resource import objects_lacking
from crm_pipelines.store.database import Database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import (
    chain_states,
    deferred_extractions,
    fully_synced_objects,
    mark_chain_incomplete,
    record_chain_completed,
)

EXTRACTION_GATE = AssetKey("crm_extraction_complete")
PUSH_GATE = AssetKey("crm_sync_ready_for_push")
SYNC_CHAIN_GROUP = "sync_chain"
# The chain's last assets: every other asset of matching, field sync and workflows is upstream of one.
_CHAIN_ENDS = ("outbound_field_changes", "cadence_workflow_actions", "synced_companies", "synced_opportunities",
               "synced_field_labels")
_COMMON = dict(partitions_def=tenant_partitions, kinds={"python", "sql"}, owners=OWNERS,
               code_version="1", output_required=False)


def _extraction(database: DatabaseResource, context: AssetExecutionContext) -> Verdict:
    db, tenant_id = database.db(), context.partition_key
    deferred = deferred_extractions(DeferralStore(db).open(tenant_id, job=CRM_SYNC_JOB)).get(tenant_id, [])
    # The run's own read of the tenant (the resource keeps it): its CRM's kind says what it lacks.
    lacking = objects_lacking(database.partition_tenant(context).connection.kind)
    return extraction_verdict([o.name for o in CRM_OBJECTS if o.name not in lacking],
                              fully_synced_objects(db, tenant_id), deferred)


def _gate(context: AssetExecutionContext, db: Database, check_name: str, verdict: Verdict, warning: str,
          *, passed_as: str) -> Iterator:
    """A gate materializes only when its verdict is ready; otherwise it yields just its failing WARN
    check, so Dagster skips every step downstream of it in the run and the check says why."""
    if not verdict.ready:
        context.log.warning(warning)
        yield AssetCheckResult(check_name=check_name, passed=False, severity=AssetCheckSeverity.WARN,
                               metadata={"reason": verdict.reason})
        return
    yield counted(context, db, {passed_as: verdict.reason},
                  check_results=[AssetCheckResult(check_name=check_name, passed=True,
                                                  metadata={"reason": verdict.reason})])


@asset(
    **_COMMON, group_name=SYNC_CHAIN_GROUP, deps=[AssetKey(o.asset) for o in CRM_OBJECTS],
    check_specs=[AssetCheckSpec(
        "extraction_complete", asset=EXTRACTION_GATE, partitions_def=tenant_partitions,
        description="Every CRM object of the tenant has finished its sync and none is deferred; until then "
                    "matching, the field sync and the workflows are skipped, and pushes wait.")],
)
def crm_extraction_complete(context: AssetExecutionContext, database: DatabaseResource,
                            clock: ClockResource) -> Iterator:
    """The tenant's extraction is complete: every CRM object finished its first full sync (and this
    run's incremental one) and nothing is deferred. Materialized only then; when not, everything
    downstream in the run is skipped and the check says which objects are missing and when the
    `api_limit_backoff` sensor resumes them together with the rest of the chain."""
    db, tenant_id = database.db(), context.partition_key
    verdict = _extraction(database, context)
    if not verdict.ready:
        mark_chain_incomplete(db, tenant_id, verdict.reason, clock.now())
    yield from _gate(context, db, "extraction_complete", verdict,
                     f"tenant '{tenant_id}': {verdict.reason}. Matching, field sync and workflows are skipped and "
                     "pushes wait; the api_limit_backoff sensor resumes the deferred objects and the whole chain "
                     "after them.", passed_as="extraction")


# The asset-wide window is the slowest tenant's (the longest frequency the settings allow): the asset
# is stale only when no tenant completed a sync for that long; each tenant's own window is its
# fresh_for_tenant check (automation/freshness).
@asset(**_COMMON, group_name=SYNC_CHAIN_GROUP, deps=[EXTRACTION_GATE, *[AssetKey(k) for k in _CHAIN_ENDS]],
       freshness_policy=FreshnessPolicy.time_window(fail_window=allowed_age(LONGEST_FREQUENCY)))
def crm_sync_completed(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource) -> Iterator:
    """The tenant's whole sync chain completed (extraction, matching, field sync, workflows): the
    completion is recorded, `crm_sync_due` counts the tenant's sync frequency from it, and pushes
    may go out. A run that skipped or failed a step of the chain never gets here."""
    db, tenant_id = database.db(), context.partition_key
    verdict = _extraction(database, context)
    if not verdict.ready:  # a run that selected the chain without the extraction gate
        context.log.warning(f"tenant '{tenant_id}': {verdict.reason}; the sync is not recorded as completed")
        return
    at = clock.now()
    record_chain_completed(db, tenant_id, at, context.run.run_id)
    yield counted(context, db, {"completed_at": at.isoformat()})


@asset(
    **_COMMON, group_name="outbound", deps=[AssetKey("crm_sync_completed"), AssetKey("crm_records_before_push")],
    check_specs=[AssetCheckSpec(
        "sync_complete", asset=PUSH_GATE, partitions_def=tenant_partitions,
        description="The tenant's last CRM sync completed its whole chain; until then nothing is pushed.")],
)
def crm_sync_ready_for_push(context: AssetExecutionContext, database: DatabaseResource) -> Iterator:
    """The tenant's data may be pushed: its last CRM sync completed its whole chain and no
    extraction is deferred since. When not, every plan and the delivery are skipped in the run:
    nothing is sent (F7 would create Leads for prospects whose CRM record was not read yet), the
    check says why, and the push goes out with the next push once the chain has completed."""
    db, tenant_id = database.db(), context.partition_key
    deferred = deferred_extractions(DeferralStore(db).open(tenant_id, job=CRM_SYNC_JOB)).get(tenant_id, [])
    verdict = push_verdict(chain_states(db, tenant_id).get(tenant_id), deferred)
    yield from _gate(context, db, "sync_complete", verdict,
                     f"tenant '{tenant_id}': nothing is pushed: {verdict.reason}", passed_as="sync")
