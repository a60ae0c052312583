"""Sensors that follow the tenant registry (T3, T4, O3, O4, O5).

`tenant_registry` keeps one dynamic partition per registered tenant and, when a tenant connects or
reconnects, launches its catch-up sync (which resumes from the committed cursors). `crm_sync_due`
launches each connected tenant's sync once its own frequency (S2) has passed since its last
successful sync. Neither ever launches anything for a disconnected tenant.
"""

import json
from datetime import UTC, datetime, timedelta

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from crm_pipelines.automation.jobs import crm_sync_job
from crm_pipelines.clock import ClockResource
from crm_pipelines.partitions import TENANT_TAG, tenant_partitions
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource

_ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


@sensor(
    job=crm_sync_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Keeps one `tenants` partition per registered tenant (T4) and launches the catch-up CRM sync "
        "when a tenant connects or reconnects (T3, O5); it resumes from the last committed cursors."
    ),
)
def tenant_registry(context: SensorEvaluationContext, database: DatabaseResource):
    tenants = database.tenants().list()
    registered = {t.id for t in tenants}
    existing = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}

    run_requests = []
    for tenant in tenants:
        if tenant.status != "connected" or tenant.connected_at is None:
            continue
        connected_at = tenant.connected_at.isoformat()
        if seen.get(tenant.id) != connected_at:
            run_requests.append(
                RunRequest(
                    run_key=f"connect-{tenant.id}-{connected_at}",
                    partition_key=tenant.id,
                    tags={TENANT_TAG: tenant.id, "crm_pipelines/reason": "connect"},
                )
            )
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
    if not run_requests and not requests:
        return SkipReason(f"{len(registered)} tenant(s), partitions in step, no new connection")
    return SensorResult(run_requests=run_requests, dynamic_partitions_requests=requests, cursor=json.dumps(seen, sort_keys=True))


@sensor(
    job=crm_sync_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Launches each connected tenant's CRM sync once its sync frequency (S2, 5–240 minutes) has "
        "passed since its last successful sync; never while one is queued or running, never for a "
        "disconnected tenant, and not while its deferred work waits for the budget to reopen."
    ),
)
def crm_sync_due(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = clock.now()
    partitions = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    deferred = {d.tenant_id for d in DeferralStore(database.db()).open(job=crm_sync_job.name)}
    requests = []
    for tenant in database.tenants().list():
        if tenant.status != "connected" or tenant.id not in partitions or tenant.id in deferred:
            continue
        if _runs(context, tenant.id, _ACTIVE):
            continue
        frequency = timedelta(minutes=tenant.settings.sync.frequency_minutes)
        last = _last_success(context, tenant.id)
        if last is not None and now - last < frequency:
            continue
        slot = int(now.timestamp() // frequency.total_seconds())
        requests.append(
            RunRequest(
                run_key=f"sync-{tenant.id}-{slot}",
                partition_key=tenant.id,
                tags={TENANT_TAG: tenant.id, "crm_pipelines/reason": "frequency"},
            )
        )
    return requests or SkipReason("no connected tenant is due")


def _runs(context: SensorEvaluationContext, tenant: str, statuses: list[DagsterRunStatus]):
    return context.instance.get_runs(
        filters=RunsFilter(job_name=crm_sync_job.name, tags={"dagster/partition": tenant}, statuses=statuses), limit=1
    )


def _last_success(context: SensorEvaluationContext, tenant: str) -> datetime | None:
    records = context.instance.get_run_records(
        filters=RunsFilter(job_name=crm_sync_job.name, tags={"dagster/partition": tenant}, statuses=[DagsterRunStatus.SUCCESS]),
        limit=1,
    )
    if not records or records[0].end_time is None:
        return None
    return datetime.fromtimestamp(records[0].end_time, tz=UTC)
