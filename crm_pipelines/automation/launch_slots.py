"""Which launch slots already have a run, asked of the Dagster instance once per tick."""

import os
from collections.abc import Iterable, Mapping
from datetime import datetime

from dagster import AssetKey, DagsterInstance, DagsterRun, RunsFilter

PARTITION_TAG = "dagster/partition"


def schedule_cron(default: str) -> str:
    """How often a schedule looks: `default`, or $CRM_PIPELINES_SCHEDULE_CRON for a test that watches
    the daemon over a few minutes. What a look launches does not depend on it."""
    return os.environ.get("CRM_PIPELINES_SCHEDULE_CRON") or default

# Every run the automation launches for a slot carries its slot (crm_pipelines.core.launch_slots).
SLOT_TAG = "crm_pipelines/slot"


def launched_slots(instance: DagsterInstance, job_name: str, due: Mapping[str, tuple[str, datetime]],
                   done_by: AssetKey | None = None) -> set[str]:
    """The tenants of `due` (tenant → its slot and the slot's start) whose slot already has a run, in
    any status: one carrying the slot (launched by any tick, sensor or daemon: a schedule's run key
    de-duplicates only within its tick), or any run of the whole of `job_name` for the tenant created
    since the slot began (launched from the UI, a backfill, the CLI). With `done_by`, a run of some of
    the job's assets counts only when they include that asset (the sync's completion): the extraction
    alone leaves the slot's work due. Two storage queries, whatever the number of tenants."""
    if not due:
        return set()
    tagged = instance.get_runs(filters=RunsFilter(tags={SLOT_TAG: sorted(slot for slot, _ in due.values())}))
    carried = {run.tags[SLOT_TAG] for run in tagged}
    launched = {tenant for tenant, (slot, _) in due.items() if slot in carried}
    starts = {tenant: start.timestamp() for tenant, (_, start) in due.items()}
    for record in instance.get_run_records(filters=RunsFilter(
            job_name=job_name, tags={PARTITION_TAG: sorted(due)}, created_after=min(start for _, start in due.values()))):
        tenant = record.dagster_run.tags.get(PARTITION_TAG)
        if _does_the_work(record.dagster_run, done_by) and tenant in starts and record.create_timestamp.timestamp() >= starts[tenant]:
            launched.add(tenant)
    return launched


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


def pushed_since(instance: DagsterInstance, job_name: str, since: Mapping[str, datetime]) -> set[str]:
    """The tenants (of `since`, tenant → time) with a run of `job_name` created at or after their time,
    in any status: one storage query, over the runs since the earliest of those times only."""
    if not since:
        return set()
    records = instance.get_run_records(filters=RunsFilter(
        job_name=job_name, tags={PARTITION_TAG: sorted(since)}, created_after=min(since.values())))
    return {tenant for r in records if (tenant := r.dagster_run.tags.get(PARTITION_TAG)) in since
            and r.create_timestamp.timestamp() >= since[tenant].timestamp()}
