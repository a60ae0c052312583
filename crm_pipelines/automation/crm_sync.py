"""The CRM sync (CRM → app): its job, and the sensors that launch it (T3, T4, S2, O3, O4, O5).

`crm_sync_job` runs one tenant's extraction and, once it is complete, the whole chain after it.
`tenant_registry` keeps one dynamic partition per registered tenant and, when a tenant connects or
reconnects, launches its catch-up sync (which resumes from the committed cursors). `crm_sync_due`
launches each connected tenant's sync once its own frequency (S2) has passed since its last
completed sync chain (recorded by `crm_sync_completed`). Neither ever launches anything for a
disconnected tenant.
"""

import json
from datetime import datetime, timedelta

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    in_process_executor,
    sensor,
)

from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.assets.sync_chain import SYNC_CHAIN_GROUP
from crm_pipelines.automation.freshness import FRESH_CHECK_KEY
from crm_pipelines.automation.launch_slots import (
    PARTITION_TAG,
    slot_run_requests,
    tenant_partition_keys,
    tenant_run_request,
)
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.launch_slots import connection_needs_catch_up, interval_slot_start, slot_name
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import chain_states

# What follows the extraction in a sync: resumed with the deferred objects of a deferred sync.
AFTER_EXTRACTION = AssetSelection.groups(SYNC_CHAIN_GROUP, "matching", "field_sync", "workflows")

crm_sync_job = define_asset_job(
    CRM_SYNC_JOB,
    # The freshness check is recorded by the tenant_freshness sensor's reports, not by every sync.
    selection=(AssetSelection.groups("tenants", "crm_extract") | AFTER_EXTRACTION) - AssetSelection.checks(FRESH_CHECK_KEY),
    description="CRM → app for one tenant: extraction of every CRM object within the tenant's API budget, "
    "then, once the extraction is complete (nothing deferred), matching of users, prospects and companies, the "
    "field sync CRM → app (three-way per field, F3), the cadence workflows on the records that changed, "
    "and the sync's completion.",
    # One process per run: the objects of a tenant are read one after another with one login,
    # which is what the tenant's API budget and the org's concurrency limit want anyway; tenants
    # run in parallel as separate runs.
    executor_def=in_process_executor,
)

_ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


@sensor(
    job=crm_sync_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Keeps one `tenants` partition per registered tenant (T4) and launches the catch-up CRM sync "
        "when a tenant connects or reconnects (T3, O5); it resumes from the last committed cursors. A "
        "connection some sync already followed (a fresh daemon on existing data) launches nothing."
    ),
)
def tenant_registry(context: SensorEvaluationContext, database: DatabaseResource):
    tenants = database.tenants().list()
    registered = {t.id for t in tenants}
    existing = tenant_partition_keys(context.instance)
    before: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    seen = dict(before)
    # The cursor only knows the connections this sensor saw; the chains know which were synced since.
    chains = chain_states(database.db())

    run_requests = []
    for tenant in tenants:
        if tenant.status != "connected" or tenant.connected_at is None:
            continue
        connected_at = tenant.connected_at.isoformat()
        chain = chains.get(tenant.id)
        if seen.get(tenant.id) != connected_at and connection_needs_catch_up(
                tenant.connected_at, chain and chain.completed_at, chain and chain.incomplete_since):
            run_requests.append(tenant_run_request(context, crm_sync_job.name, tenant.id, existing,
                                                   run_key=f"connect-{tenant.id}-{connected_at}",
                                                   tags={"crm_pipelines/reason": "connect"}))
        seen[tenant.id] = connected_at
    for gone in set(seen) - registered:
        del seen[gone]

    to_add = sorted(registered - existing)
    to_remove = sorted(existing - registered)
    requests = []
    if to_add:
        requests.append(tenant_partitions.build_add_request(to_add))
    if to_remove:
        requests.append(tenant_partitions.build_delete_request(to_remove))
    if not run_requests and not requests and seen == before:
        return SkipReason(f"{len(registered)} tenant(s), partitions in step, no new connection")
    return SensorResult(run_requests=run_requests, dynamic_partitions_requests=requests, cursor=json.dumps(seen, sort_keys=True))


@sensor(
    job=crm_sync_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Launches each connected tenant's CRM sync once its sync frequency (S2, 5–240 minutes) has "
        "passed since its last completed sync (the whole chain: extraction to workflows); never while one "
        "is queued or running, never for a "
        "disconnected tenant, and not while its deferred work waits for the budget to reopen."
    ),
)
def crm_sync_due(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = clock.now()
    db = database.db()
    partitions = tenant_partition_keys(context.instance)
    deferred = {d.tenant_id for d in DeferralStore(db).open(job=crm_sync_job.name)}
    # One query each, whatever the number of tenants: the runs under way and the last completed chains.
    running = {run.tags.get(PARTITION_TAG) for run in context.instance.get_runs(
        filters=RunsFilter(job_name=crm_sync_job.name, statuses=_ACTIVE))}
    chains = chain_states(db)
    due: dict[str, tuple[str, datetime]] = {}
    for tenant in database.tenants().list():
        if tenant.status != "connected" or tenant.id not in partitions or tenant.id in deferred or tenant.id in running:
            continue
        frequency = timedelta(minutes=tenant.settings.sync.frequency_minutes)
        # A sync is done when its whole chain completed, not when a run of the job succeeded: a
        # deferred sync's run succeeds with matching and what follows skipped.
        chain = chains.get(tenant.id)
        last = chain.completed_at if chain is not None else None
        if last is not None and now - last < frequency:
            continue
        start = interval_slot_start(now, frequency)
        due[tenant.id] = (slot_name("sync", tenant.id, start), start)
    # A slot another sensor, a daemon before a restart or an operator already launched stays launched.
    requests = slot_run_requests(context, crm_sync_job.name, due, partitions, reason="frequency",
                                 done_by=AssetKey("crm_sync_completed"), now=now)
    if not requests and due:
        return SkipReason(f"this frequency slot's sync of {len(due)} tenant(s) already launched")
    return requests or SkipReason("no connected tenant is due")
