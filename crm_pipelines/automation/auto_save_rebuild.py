"""The daily rebuild of the auto-save lists (L1–L12): its job and its schedule (O3)."""

from datetime import UTC, datetime

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
)

from crm_pipelines.automation.launch_slots import schedule_cron, slot_run_requests
from crm_pipelines.core.launch_slots import daily_slot_start, slot_name
from crm_pipelines.settings.time_zone import zone
from crm_pipelines.store.resource import DatabaseResource


auto_save_rebuild_job = define_asset_job(
    "auto_save_rebuild",
    selection=AssetSelection.groups("auto_save"),
    description="The daily rebuild of one tenant's auto-save lists (L1–L12); reads the warehouse, never the CRM.",
    executor_def=in_process_executor,
)


@schedule(
    job=auto_save_rebuild_job,
    cron_schedule=schedule_cron("* * * * *"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Once a day per connected tenant, at its own `auto_save.daily_rebuild_at` in its `time_zone` (default "
        "05:00 UTC, any minute 00:00–23:59 local; a time the clocks skip runs when they jump, one shown twice "
        "at its first showing): rebuilds the tenant's auto-save lists. Looks every minute and launches each "
        "tenant's local day once: a day whose time has passed and that no run carries yet (its "
        "`crm_pipelines/slot` tag, whoever launched it) launches now, also after the daemon was down at the hour; a rebuild of the tenant "
        "launched since its time today from anywhere (the UI, a backfill) counts as the day's."
    ),
)
def daily_list_rebuild(context: ScheduleEvaluationContext, database: DatabaseResource):
    now = (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)
    due: dict[str, tuple[str, datetime]] = {}
    for tenant in database.tenants().list():
        if tenant.status != "connected":
            continue  # lists freeze while disconnected (L9): nothing to rebuild
        settings = tenant.settings
        start = daily_slot_start(now, settings.auto_save.daily_rebuild_at, zone(settings.time_zone))
        if start is not None:
            due[tenant.id] = (slot_name("rebuild", tenant.id, start), start)
    requests = slot_run_requests(context, auto_save_rebuild_job.name, due, reason="daily list rebuild")
    if requests:
        return requests
    if due:
        return SkipReason(f"today's rebuild of {len(due)} tenant(s) already launched")
    return SkipReason("no connected tenant's rebuild time has come today")
