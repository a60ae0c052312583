"""Which launch slots already have a run, asked of the Dagster instance once per tick, and the run
requests a tick launches for tenant partitions."""

import os
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    DagsterInvariantViolationError,
    DagsterRun,
    RepositoryDefinition,
    RunRecord,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
)

from crm_pipelines.partitions import TENANT_TAG, tenant_partitions

PARTITION_TAG = "dagster/partition"
PARTITION_SET_TAG = "dagster/partition_set"

# Run timestamps come from the instance's host, slot starts from the pipeline's clock: a few
# minutes' margin keeps a run created just before a slot's computed start from being missed by the
# storage query (the exact comparison is made here, per tenant).
CLOCK_SKEW = timedelta(minutes=5)


def schedule_cron(default: str) -> str:
    """How often a schedule looks: `default`, or $CRM_PIPELINES_SCHEDULE_CRON for a test that watches
    the daemon over a few minutes. What a look launches does not depend on it."""
    return os.environ.get("CRM_PIPELINES_SCHEDULE_CRON") or default

# Every run the automation launches for a slot carries its slot (crm_pipelines.core.launch_slots).
SLOT_TAG = "crm_pipelines/slot"


def tenant_partition_keys(instance: DagsterInstance) -> set[str]:
    """The tenant partitions, read once per tick: a tick checks its requests against this set itself
    instead of letting Dagster look each requested key up in storage."""
    return set(instance.get_dynamic_partitions(tenant_partitions.name))


def tenant_run_request(context: SensorEvaluationContext | ScheduleEvaluationContext, job_name: str, tenant_id: str,
                       partitions: Collection[str], *, run_key: str, tags: Mapping[str, str],
                       asset_selection: list[AssetKey] | None = None,
                       asset_check_keys: list[AssetCheckKey] | None = None) -> RunRequest:
    """A run request for the tenant's partition of `job_name`.

    Dagster validates an unresolved request's dynamic partition key with one storage query per
    request (thousands a tick for a fleet); a request carrying its partition tags is taken as
    resolved. So a tenant found in `partitions` (read once this tick) gets them here; any other is
    left for Dagster to check (a partition added by the same sensor result, or a refusal).
    """
    partition_tags: Mapping[str, str] = {}
    if tenant_id in partitions:
        partition_tags = {PARTITION_TAG: tenant_id}
        if (repository := _repository(context)) is not None:
            partition_tags = repository.get_job(job_name).get_tags_for_partition_key(tenant_id, asset_selection)
    return RunRequest(run_key=run_key, job_name=job_name, partition_key=tenant_id, asset_selection=asset_selection,
                      asset_check_keys=asset_check_keys, tags={TENANT_TAG: tenant_id, **tags, **partition_tags})


def _repository(context: SensorEvaluationContext | ScheduleEvaluationContext) -> RepositoryDefinition | None:
    # A context built for a direct call (a test) may have no repository; a schedule's raises then.
    try:
        return context.repository_def
    except DagsterInvariantViolationError:
        return None


def _runs_since(instance: DagsterInstance, job_name: str, since: datetime, now: datetime | None) -> list[RunRecord]:
    # One query bounded by time and job, never by a list of tenants: a fleet's thousands of keys as
    # SQL parameters would outgrow SQLite's variable limit and PostgreSQL's plan cache alike.
    ahead = max(timedelta(0), now - datetime.now(UTC)) if now is not None else timedelta(0)
    return list(instance.get_run_records(filters=RunsFilter(job_name=job_name,
                                                            created_after=since - CLOCK_SKEW - ahead)))


def launched_slots(instance: DagsterInstance, job_name: str, due: Mapping[str, tuple[str, datetime]],
                   done_by: AssetKey | None = None, now: datetime | None = None) -> set[str]:
    """The tenants of `due` (tenant → its slot and the slot's start) whose slot already has a run, in
    any status: one carrying the slot (launched by any tick, sensor or daemon: a schedule's run key
    de-duplicates only within its tick), or any run of the whole of `job_name` for the tenant created
    since the slot began (launched from the UI, a backfill, the CLI). With `done_by`, a run of some of
    the job's assets counts only when they include that asset (the sync's completion): the extraction
    alone leaves the slot's work due. `now` is the pipeline clock's time the slots were computed at,
    when it may run ahead of the instance's (the demo moves it). One storage query: the job's runs
    created since the earliest slot began."""
    if not due:
        return set()
    slots = {slot: tenant for tenant, (slot, _) in due.items()}
    starts = {tenant: start.timestamp() for tenant, (_, start) in due.items()}
    launched = set()
    for record in _runs_since(instance, job_name, min(start for _, start in due.values()), now):
        run = record.dagster_run
        if (tenant := slots.get(run.tags.get(SLOT_TAG, ""))) is not None:
            launched.add(tenant)
            continue
        tenant = run.tags.get(PARTITION_TAG)
        if tenant in starts and record.create_timestamp.timestamp() >= starts[tenant] and _does_the_work(run, done_by):
            launched.add(tenant)
    return launched


def slot_run_requests(context: SensorEvaluationContext | ScheduleEvaluationContext, job_name: str,
                      due: Mapping[str, tuple[str, datetime]], partitions: Collection[str] | None = None, *,
                      reason: str, done_by: AssetKey | None = None, now: datetime | None = None) -> list[RunRequest]:
    """A run request for each tenant of `due` (tenant → its slot and the slot's start) whose slot has no
    run yet (`launched_slots`, with its `done_by` and `now`): keyed and tagged by its slot, so that no
    tick, sensor or daemon launches a slot twice, and tagged with the `reason` it was launched for.
    `partitions`: the tenant partitions, if the caller read them this tick; otherwise they are read
    only when some slot is left to launch (a schedule looking every minute launches on few ticks)."""
    launched = launched_slots(context.instance, job_name, due, done_by=done_by, now=now)
    left = [(tenant_id, slot) for tenant_id, (slot, _) in due.items() if tenant_id not in launched]
    if left and partitions is None:
        partitions = tenant_partition_keys(context.instance)
    return [tenant_run_request(context, job_name, tenant_id, partitions or (), run_key=slot,
                               tags={SLOT_TAG: slot, "crm_pipelines/reason": reason})
            for tenant_id, slot in left]


def _does_the_work(run: DagsterRun, done_by: AssetKey | None) -> bool:
    if done_by is None:
        return True
    # A sensor's or the UI's run of some assets names them in its asset selection; a run executed in
    # process (the demo, the CLI, a test) has an empty one and names the steps it executes instead.
    # A run of the whole job launched by a sensor names neither.
    if run.asset_selection:
        return done_by in run.asset_selection
    if run.step_keys_to_execute is not None:
        return done_by.to_python_identifier() in run.step_keys_to_execute
    return True


def pushed_since(instance: DagsterInstance, job_name: str, since: Mapping[str, datetime],
                 now: datetime | None = None) -> set[str]:
    """The tenants (of `since`, tenant → time) with a run of `job_name` created at or after their time,
    in any status: one storage query, over the job's runs since the earliest of those times only."""
    if not since:
        return set()
    return {tenant for r in _runs_since(instance, job_name, min(since.values()), now)
            if (tenant := r.dagster_run.tags.get(PARTITION_TAG)) in since
            and r.create_timestamp.timestamp() >= since[tenant].timestamp()}

