"""Which runs take a launch slot, asked of a real Dagster instance: a run of the whole job, however
it was launched (a sensor's run has no asset selection, a run executed in process has an empty one),
takes it; a run of some of the sync's assets takes it only when they include its completion."""

from datetime import UTC, datetime, timedelta

from dagster import AssetKey, DagsterInstance, DagsterRun
from dagster._core.utils import make_new_run_id

from crm_pipelines.automation.launch_slots import launched_slots

DONE = AssetKey("crm_sync_completed")


def _run(instance: DagsterInstance, job: str, tenant: str, selection) -> None:
    instance.add_run(DagsterRun(job_name=job, run_id=make_new_run_id(), asset_selection=selection,
                                tags={"dagster/partition": tenant}))


def test_a_run_executed_in_process_takes_its_tenants_slot():
    instance = DagsterInstance.ephemeral()
    start = datetime.now(UTC) - timedelta(minutes=5)
    _run(instance, "auto_save_rebuild", "acme", frozenset())
    _run(instance, "auto_save_rebuild", "globex", None)
    due = {t: (f"rebuild:{t}:x", start) for t in ("acme", "globex", "initech")}
    assert launched_slots(instance, "auto_save_rebuild", due) == {"acme", "globex"}


def test_a_run_of_the_extraction_alone_leaves_the_sync_slot_due():
    instance = DagsterInstance.ephemeral()
    start = datetime.now(UTC) - timedelta(minutes=5)
    _run(instance, "crm_sync", "acme", frozenset({AssetKey("crm_leads"), AssetKey("crm_contacts")}))
    _run(instance, "crm_sync", "globex", frozenset({AssetKey("crm_leads"), DONE}))
    _run(instance, "crm_sync", "initech", frozenset())
    due = {t: (f"sync:{t}:x", start) for t in ("acme", "globex", "initech")}
    assert launched_slots(instance, "crm_sync", due, done_by=DONE) == {"globex", "initech"}


def test_a_run_created_before_the_slot_began_does_not_take_it():
    instance = DagsterInstance.ephemeral()
    _run(instance, "auto_save_rebuild", "acme", None)
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert launched_slots(instance, "auto_save_rebuild", {"acme": ("rebuild:acme:x", later)}) == set()


def test_a_run_executed_in_process_names_its_steps():
    instance = DagsterInstance.ephemeral()
    start = datetime.now(UTC) - timedelta(minutes=5)
    for tenant, steps in (("acme", ["crm_leads", "crm_contacts"]), ("globex", ["crm_leads", "crm_sync_completed"])):
        instance.add_run(DagsterRun(job_name="crm_sync", run_id=make_new_run_id(), asset_selection=frozenset(),
                                    step_keys_to_execute=steps, tags={"dagster/partition": tenant}))
    due = {t: (f"sync:{t}:x", start) for t in ("acme", "globex")}
    assert launched_slots(instance, "crm_sync", due, done_by=DONE) == {"globex"}
