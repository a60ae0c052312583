"""Which launch slots already have a run, asked of the Dagster instance once per tick."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from dagster import DagsterInstance, RunsFilter

PARTITION_TAG = "dagster/partition"

# Every run the automation launches for a slot carries its slot (crm_pipelines.core.launch_slots).
SLOT_TAG = "crm_pipelines/slot"


def launched_slots(instance: DagsterInstance, slots: Iterable[str]) -> set[str]:
    """The slots among `slots` some run already carries, in any status, launched by any schedule,
    sensor or daemon (a run key de-duplicates only within a schedule's tick): one storage query."""
    wanted = sorted(set(slots))
    if not wanted:
        return set()
    runs = instance.get_runs(filters=RunsFilter(tags={SLOT_TAG: wanted}))
    return {run.tags[SLOT_TAG] for run in runs} & set(wanted)


def pushed_since(instance: DagsterInstance, job_name: str, since: Mapping[str, datetime]) -> set[str]:
    """The tenants (of `since`, tenant → time) with a run of `job_name` created at or after their time,
    in any status: one storage query, over the runs since the earliest of those times only."""
    if not since:
        return set()
    records = instance.get_run_records(filters=RunsFilter(
        job_name=job_name, tags={PARTITION_TAG: sorted(since)}, created_after=min(since.values())))
    return {r.dagster_run.tags[PARTITION_TAG] for r in records
            if r.dagster_run.tags.get(PARTITION_TAG) in since and r.create_timestamp >= since[r.dagster_run.tags[PARTITION_TAG]]}
