"""Backoff (S1, O4): the sensor that resumes what a run deferred when the tenant's or the org's API
budget ran out, once the budget reopens; for the crm sync and the outbound push alike."""

from dagster import AssetCheckKey, AssetKey, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from crm_pipelines.assets.catalog import ALL_ASSETS
from crm_pipelines.assets.checks import extract_checks, linked_checks, list_checks
from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.assets.outbound_delivery import OUTBOUND_PUSH_JOB
from crm_pipelines.automation.crm_sync import AFTER_EXTRACTION, crm_sync_job
from crm_pipelines.automation.outbound_push import outbound_push_job
from crm_pipelines.automation.launch_slots import tenant_partition_keys, tenant_run_request
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.sync_chain import push_verdict
from crm_pipelines.store.deferrals import Deferral, DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import chain_states, deferred_extractions

JOBS_BY_NAME = {CRM_SYNC_JOB: crm_sync_job, OUTBOUND_PUSH_JOB: outbound_push_job}
# Everything after the extraction in a sync (the gate, matching, field sync, workflows, the completion).
RESUMED_CHAIN = sorted(AFTER_EXTRACTION.resolve(ALL_ASSETS))
_CHECK_KEYS = [key for d in (*ALL_ASSETS, *extract_checks, *list_checks, *linked_checks) for key in d.check_keys]


def checks_of(assets: list[AssetKey]) -> list[AssetCheckKey]:
    """Every check on `assets`. A run of a subset of a job runs no check unless named: the blocking ones
    (no rows of another tenant) would then gate nothing in a resumed sync."""
    wanted = set(assets)
    return [key for key in _CHECK_KEYS if key.asset_key in wanted]


@sensor(
    jobs=list(JOBS_BY_NAME.values()),
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Relaunches work a run deferred because the tenant's API budget ran out, the CRM answered "
        "REQUEST_LIMIT_EXCEEDED or asked to retry much later: once its resume-at has passed, never "
        "before, exactly once per deferral (the run key is the deferral's id). A deferred sync resumes "
        "as a whole chain: the deferred objects, then matching, field sync and workflows; a deferred "
        "push waits until the tenant's sync chain has completed."
    ),
)
def api_limit_backoff(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = clock.now()
    db = database.db()
    connected = set(database.tenants().ids(status="connected"))
    waiting = DeferralStore(db).open()
    syncs_deferred = deferred_extractions([d for d in waiting if d.job == CRM_SYNC_JOB])
    chains = chain_states(db)
    due, held, waiting_later = [], [], []
    for d in waiting:
        if d.tenant_id not in connected or d.job not in JOBS_BY_NAME:
            continue
        if d.resume_at > now:
            waiting_later.append(d)
            continue
        if d.job == OUTBOUND_PUSH_JOB and not push_verdict(chains.get(d.tenant_id),
                                                           syncs_deferred.get(d.tenant_id, [])).ready:
            held.append(d)  # pushing now would plan from an incomplete sync
            continue
        due.append(d)
    # The tick names every tenant it resumes or still waits for, so the UI answers "why hasn't
    # globex synced?" without a query.
    waits = _waits_line(waiting_later, held)
    if not due:
        return SkipReason(waits or "no deferred work")
    context.log.info("resumes " + _names(f"{d.tenant_id} ({d.job}: {', '.join(d.objects)})" for d in due))
    if waits:
        context.log.info(waits)
    partitions = tenant_partition_keys(context.instance)
    return [_resume(context, d, partitions) for d in due]


def _waits_line(waiting_later: list[Deferral], held: list[Deferral]) -> str:
    parts = []
    if waiting_later:
        parts.append("waits for the budget: " + _names(
            f"{d.tenant_id} ({d.job}) until {d.resume_at:%Y-%m-%d %H:%M}Z" for d in sorted(waiting_later, key=lambda d: d.resume_at)))
    if held:
        parts.append("deferred pushes wait for the tenant's sync chain to complete: " + _names(
            sorted({d.tenant_id for d in held})))
    return "; ".join(parts)


def _names(items, shown: int = 25) -> str:
    # A fleet of thousands waits at once after an org-wide outage: name the first ones and count the rest.
    items = list(items)
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _resume(context: SensorEvaluationContext, deferral: Deferral, partitions: set[str]) -> RunRequest:
    selection = None
    if deferral.job == CRM_SYNC_JOB:
        # Only the deferred objects, not the ones that finished: re-reading those would spend the
        # reopened budget on them first and could starve the rest window after window. Then the
        # whole chain after the extraction, which the deferred run skipped.
        selection = [AssetKey(BY_NAME[o].asset) for o in deferral.objects if o in BY_NAME] + RESUMED_CHAIN
    return tenant_run_request(context, deferral.job, deferral.tenant_id, partitions, run_key=f"deferral-{deferral.id}",
                              tags={"crm_pipelines/deferral": str(deferral.id)}, asset_selection=selection,
                              asset_check_keys=checks_of(selection) if selection is not None else None)
