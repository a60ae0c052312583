"""Sensors (O4)."""

from dagster import AssetKey, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from crm_pipelines.automation.jobs import JOBS_BY_NAME
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.partitions import TENANT_TAG
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource



@sensor(
    jobs=list(JOBS_BY_NAME.values()),
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Relaunches work a run deferred because the tenant's API budget ran out, the CRM answered "
        "REQUEST_LIMIT_EXCEEDED or asked to retry much later: once its resume-at has passed, never "
        "before, exactly once per deferral (the run key is the deferral's id)."
    ),
)
def api_limit_backoff(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = clock.now()
    store = DeferralStore(database.db())
    registry = database.tenants()
    connected = set(registry.ids(status="connected"))
    due = [d for d in store.due(now) if d.tenant_id in connected and d.job in JOBS_BY_NAME]
    if not due:
        waiting = store.open()
        if waiting:
            soonest = min(d.resume_at for d in waiting)
            return SkipReason(f"{len(waiting)} deferral(s) waiting; the next resumes at {soonest.isoformat()}")
        return SkipReason("no deferred work")
    return [
        RunRequest(
            run_key=f"deferral-{d.id}",
            job_name=d.job,
            partition_key=d.tenant_id,
            tags={TENANT_TAG: d.tenant_id, "crm_pipelines/deferral": str(d.id)},
            # Only what was deferred: re-reading objects that finished would spend the reopened
            # budget on them first and could starve the rest window after window.
            asset_selection=[AssetKey(BY_NAME[o].asset) for o in d.objects if o in BY_NAME] or None,
        )
        for d in due
    ]
