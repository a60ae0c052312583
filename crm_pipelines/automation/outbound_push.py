"""The outbound push (app → CRM): its job, and when each tenant's push runs (S3, P4, O3).

`outbound_push_schedule` launches every connected tenant's push once per its own interval
(`push.interval_minutes`, 10 minutes to 24 hours): the run key is the tenant and the interval slot,
so a tick the daemon repeats or catches up launches nothing twice. `push_triggers` launches a
tenant's push as soon as a user asks for one (P4a), assigns a to-do (P4d) or a prospect's lead
score crosses the tenant's interest threshold (P4c: once per crossing; a score that stays above
triggers nothing more), instead of waiting for the interval. Neither launches anything for a
disconnected tenant, a tenant with pushes off, one whose deferred push waits for its budget to
reopen (the `api_limit_backoff` sensor resumes it), or one whose last CRM sync has not completed its
whole chain (a deferred or first sync): they launch the tenant's push at their first look after
the chain completed.
"""

from dataclasses import dataclass
from datetime import UTC, timedelta

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    AssetSelection,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
    sensor,
)

from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.assets.outbound_delivery import OUTBOUND_PUSH_JOB
from crm_pipelines.automation.launch_slots import (
    pushed_since,
    schedule_cron,
    slot_run_requests,
    tenant_partition_keys,
    tenant_run_request,
)
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.launch_slots import interval_slot_start, slot_name
from crm_pipelines.core.outbound.interest import threshold_crossings
from crm_pipelines.core.sync_chain import push_verdict
from crm_pipelines.settings import Tenant
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.interest_crossings import interest_changes, record_interest_changes
from crm_pipelines.store.push_ledger import open_triggers
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import chain_states, deferred_extractions


outbound_push_job = define_asset_job(
    OUTBOUND_PUSH_JOB,
    selection=AssetSelection.groups("outbound"),
    description="App → CRM for one tenant: the CRM's Leads, Contacts and Campaigns read again (incrementally), "
    "the field changes due from the app as it is now against them (F3), the push plans "
    "(activity and touch Tasks, new Leads, contact pushes, "
    "lead scores, field updates, campaigns) and their delivery in composite calls within the API budget, each "
    "record once, by its external id (P1–P8).",
    # One process: the batches of one tenant go one after another through one login and one budget.
    executor_def=in_process_executor,
)


@dataclass(frozen=True)
class _Pushing:
    on: list[Tenant]  # connected, with pushes on
    ready: list[Tenant]  # of those, may push now: no deferred push, sync chain complete
    waiting_for_sync: list[str]  # of those, wait for their sync chain to complete


def _pushing_tenants(database: DatabaseResource) -> _Pushing:
    """Two queries besides the registry, however many tenants: the open deferrals and the sync chains."""
    db = database.db()
    waiting = DeferralStore(db).open()
    pushes_deferred = {d.tenant_id for d in waiting if d.job == outbound_push_job.name}
    syncs_deferred = deferred_extractions([d for d in waiting if d.job == CRM_SYNC_JOB])
    chains = chain_states(db)
    on = [t for t in database.tenants().list() if t.status == "connected" and t.settings.push.enabled]
    ready, incomplete = [], []
    for tenant in on:
        if tenant.id in pushes_deferred:
            continue
        if push_verdict(chains.get(tenant.id), syncs_deferred.get(tenant.id, [])).ready:
            ready.append(tenant)
        else:
            incomplete.append(tenant.id)
    return _Pushing(on, ready, incomplete)


def _skip(what: str, incomplete: list[str]) -> SkipReason:
    waiting = f"; waiting for their sync chain to complete: {', '.join(incomplete)}" if incomplete else ""
    return SkipReason(what + waiting)


@schedule(
    job=outbound_push_job,
    cron_schedule=schedule_cron("*/5 * * * *"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Each connected tenant's outbound push once per its `push.interval_minutes` (S3, default 60): looks every "
        "5 minutes and launches each interval slot once: a slot some run already carries (its "
        "`crm_pipelines/slot` tag, whichever tick or daemon launched it), or in which any push of the tenant "
        "was launched (a trigger, the UI), launches nothing. Nothing for tenants "
        "disconnected, with pushes off, or with a deferred push waiting for its budget."
    ),
)
def outbound_push_schedule(context: ScheduleEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = (context.scheduled_execution_time or clock.now()).astimezone(UTC)
    pushing = _pushing_tenants(database)
    due = {}
    for tenant in pushing.ready:
        start = interval_slot_start(now, timedelta(minutes=tenant.settings.push.interval_minutes))
        due[tenant.id] = (slot_name("push", tenant.id, start), start)
    requests = slot_run_requests(context, outbound_push_job.name, due, reason="push interval")
    if not requests and due:
        return _skip(f"this interval's push of {len(due)} tenant(s) already launched", pushing.waiting_for_sync)
    return requests or _skip("no connected tenant with pushes on and its sync complete", pushing.waiting_for_sync)


@sensor(
    job=outbound_push_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Launches a tenant's outbound push as soon as a user asks to push a prospect (P4a), assigns a to-do "
        "(P4d) or a prospect's lead score crosses the tenant's interest threshold (P4c), without waiting for the "
        "push interval; once per new request, to-do or crossing. Looks at every tenant in a constant number of "
        "queries."
    ),
)
def push_triggers(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    db, now = database.db(), clock.now()
    pushing = _pushing_tenants(database)
    # P4c: the crossings of every tenant with pushes on are seen now, also those whose push has to
    # wait, so that none is missed; each is pushed once.
    thresholds = {t.id: float(t.settings.push.interest_threshold) for t in pushing.on
                  if t.settings.push.interest_threshold is not None}
    crossings = threshold_crossings(interest_changes(db, thresholds))
    record_interest_changes(db, crossings, now)
    triggers = open_triggers(db)
    waiting = {t.id: triggers[t.id] for t in pushing.ready if t.id in triggers}
    # A push that started after a tenant's latest trigger planned from the app as it then was: a
    # trigger it could not push (a to-do for a user with no CRM match) is not due again, also on a
    # daemon that never launched that push (the run keys it remembers are only its own).
    covered = pushed_since(context.instance, outbound_push_job.name, {t: latest for t, (_, latest) in waiting.items()},
                           now=now)
    partitions = tenant_partition_keys(context.instance) if waiting else set()
    requests = []
    for tenant in pushing.ready:
        if tenant.id not in waiting or tenant.id in covered:
            continue
        count, latest = waiting[tenant.id]
        requests.append(tenant_run_request(context, outbound_push_job.name, tenant.id, partitions,
                                           run_key=f"trigger-{tenant.id}-{latest.isoformat()}-{count}",
                                           tags={"crm_pipelines/reason": "push request, to-do or interest threshold"}))
    return requests or _skip(f"no push request, to-do or threshold crossing waiting (checked {now:%H:%M} UTC)",
                             pushing.waiting_for_sync)
