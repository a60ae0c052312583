"""The demo's moved clock: the api_limit_backoff sensor only resumes deferred work once the API
budget's window reopens, so the demo moves the pipeline clock a day at a time instead of waiting."""

from __future__ import annotations

from dagster import RunRequest, SkipReason, build_sensor_context

from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.clock import ClockResource
from crm_pipelines.demo.context import DemoContext
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource

DAY_AND_A_BIT = 24 * 3600 + 120


def evaluate_sensor(ctx: DemoContext, offset_seconds: float) -> list[RunRequest]:
    context = build_sensor_context(
        instance=ctx.instance,
        resources={"database": DatabaseResource(database_url=ctx.db_url),
                   "clock": ClockResource(offset_seconds=offset_seconds)},
    )
    result = api_limit_backoff(context)
    return [] if isinstance(result, SkipReason) else list(result)


def resume_deferred(ctx: DemoContext, offset: float) -> float:
    """Move the pipeline clock a window at a time and launch what the sensor asks for, until no
    deferral is left; returns the clock offset reached."""
    deferrals = DeferralStore(ctx.db)
    while deferrals.open():
        requests = evaluate_sensor(ctx, offset)
        ctx.echo(f"   pipeline clock +{offset / 3600:.0f} h: {len(requests)} run(s) to launch")
        for request in requests:
            tenant_id = request.partition_key
            done = ctx.run(request.job_name, tenant_id, offset=offset, assets=list(request.asset_selection or []),
                           tags={**request.tags, "dagster/run_key": request.run_key})
            ctx.stories[tenant_id].resumed += 1
            still = deferrals.open(tenant_id)
            ctx.echo(f"   resumed {tenant_id} {request.job_name} ({request.run_key}): "
                     + ("done" if done and not still else f"deferred again ({', '.join(still[0].objects)})"))
        offset += DAY_AND_A_BIT
    return offset
