"""Schedules (O3)."""

from datetime import UTC, datetime, time

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from crm_pipelines.automation.jobs import auto_save_rebuild_job
from crm_pipelines.partitions import TENANT_TAG
from crm_pipelines.store.resource import DatabaseResource


@schedule(
    job=auto_save_rebuild_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Once a day per connected tenant, at its own `auto_save.daily_rebuild_utc` (default 05:00 UTC): "
        "rebuilds the tenant's auto-save lists. Looks every 15 minutes; the run key (tenant and day) "
        "launches each tenant's rebuild once a day, also when the daemon was down at the hour."
    ),
)
def daily_list_rebuild(context: ScheduleEvaluationContext, database: DatabaseResource):
    now = (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)
    requests = []
    for tenant in database.tenants().list():
        if tenant.status != "connected":
            continue  # lists freeze while disconnected (L9): nothing to rebuild
        at: time = tenant.settings.auto_save.daily_rebuild_utc
        if now.time().replace(tzinfo=None) < at.replace(tzinfo=None):
            continue
        day = now.date().isoformat()
        requests.append(RunRequest(run_key=f"rebuild-{tenant.id}-{day}", partition_key=tenant.id,
                                   tags={TENANT_TAG: tenant.id, "crm_pipelines/reason": "daily list rebuild"}))
    return requests or SkipReason("no connected tenant's rebuild time has come today")
