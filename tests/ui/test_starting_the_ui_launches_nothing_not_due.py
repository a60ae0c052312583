"""`make ui` on the demo's data (its processes: `crm-pipelines ui --demo`, which starts `dagster dev`
and the CRM simulator) launches nothing that is not due: after two ticks of every sensor, no sensor
launched a run (the demo's tenants were synced since they connected, and its pushes already followed
their triggers), and a schedule launched only a slot that had no run yet."""

import os
import signal
import subprocess
import time
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance
from dagster._core.scheduler.instigation import TickStatus

from tests.dagster_services import BIN, ROOT

pytestmark = pytest.mark.slow

SENSORS = ("tenant_registry", "crm_sync_due", "push_triggers", "api_limit_backoff")


def _ticks_since(instance: DagsterInstance, name: str, since: float) -> int:
    for state in instance.all_instigator_state():
        if state.instigator_name == name:
            return len(instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since,
                                          statuses=[TickStatus.SUCCESS, TickStatus.SKIPPED]))
    return 0


def test_starting_the_ui_on_the_demos_data_launches_nothing_that_is_not_due(tmp_path):
    env = {**os.environ, "CRM_PIPELINES_DATA_DIR": str(tmp_path), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("DAGSTER_HOME", None)
    demo = subprocess.run([str(BIN / "crm-pipelines"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=400)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    home = tmp_path / "demo" / "dagster"
    instance = DagsterInstance.from_config(str(home))
    try:
        before = {run.run_id for run in instance.get_runs()}
        started = time.time()
        log = tmp_path / "ui.log"
        ui = subprocess.Popen([str(BIN / "crm-pipelines"), "ui", "--demo"], cwd=ROOT, env=env,
                              stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 420
            while any(_ticks_since(instance, name, started) < 2 for name in SENSORS):
                assert ui.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, (
                    f"ticks: {[(n, _ticks_since(instance, n, started)) for n in SENSORS]}\n" + log.read_text()[-3000:])
                time.sleep(3)
        finally:
            os.killpg(ui.pid, signal.SIGTERM)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(ui.pid, signal.SIGKILL)
        runs = instance.get_run_records()
    finally:
        instance.dispose()

    new = [r.dagster_run for r in runs if r.dagster_run.run_id not in before]
    assert not [(run.job_name, dict(run.tags)) for run in new if "dagster/sensor_name" in run.tags]
    # A schedule may only have launched a slot that began after the tenant's last run of that job.
    for run in new:
        assert "dagster/schedule_name" in run.tags, dict(run.tags)
        slot_start = datetime.strptime(run.tags["crm_pipelines/slot"].split(":", 2)[2], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        earlier = [r for r in runs if r.dagster_run.run_id in before and r.dagster_run.job_name == run.job_name
                   and r.dagster_run.tags.get("dagster/partition") == run.tags["dagster/partition"]]
        assert all(r.create_timestamp < slot_start for r in earlier), (dict(run.tags), slot_start)
