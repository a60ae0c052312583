"""Extraction survives a flaky CRM and a crash mid-run (E2, issue 4)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.tables import crm_tables, extract_cursors
from tests.sim_tenants import assert_warehouse_equals_sim, db_url, register_sim_tenant, sync


@pytest.fixture
def small_sim():
    with run_simulator(orgs=("acme",), scale="small", seed=11) as sim:
        yield sim


@pytest.mark.slow
def test_with_ten_percent_of_calls_failing_the_sync_completes_with_the_exact_data(db, small_sim):
    register_sim_tenant(db, small_sim, "acme")
    small_sim.set_faults("429=0@0.025,500@0.025,503@0.025,truncate@0.025", org="acme")
    impatient = CrmClientResource(max_backoff_seconds=0.05, max_attempts=8)
    result = sync(db, "acme", resources={"crm": impatient})
    assert result.success
    faulted = [r for r in small_sim.org("acme").requests() if r.faults]
    assert faulted, "the simulator injected no fault: the test would prove nothing"
    assert_warehouse_equals_sim(db, "acme", small_sim.org("acme"))


CHILD = textwrap.dedent(
    """
    import sys
    from tests.sim_tenants import sync
    from crm_pipelines.store.database import open_database
    result = sync(open_database(sys.argv[1]), "acme")
    print("finished", result.success)
    """
)


@pytest.mark.slow
@pytest.mark.both_backends
def test_a_sync_killed_mid_extraction_then_run_again_ends_equal_with_no_duplicates(db, small_sim, tmp_path):
    register_sim_tenant(db, small_sim, "acme")
    small_sim.set_faults("delay=0.15", org="acme")  # slow pages, so the kill lands mid-extraction
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url(db)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.engine.connect() as conn:
                committed = conn.execute(select(func.count()).select_from(extract_cursors)).scalar_one()
            if committed >= 2:
                break
            assert child.poll() is None, child.stdout.read().decode()
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with db.engine.connect() as conn:
        contacts_before = conn.execute(select(func.count()).select_from(crm_tables["Contact"])).scalar_one()
    assert contacts_before < len(small_sim.org("acme").rows("Contact", include_deleted=True)), "killed too late"

    small_sim.set_faults(None, org="acme")
    assert sync(db, "acme").success
    assert_warehouse_equals_sim(db, "acme", small_sim.org("acme"))
    with db.engine.connect() as conn:
        for table in crm_tables.values():
            ids = conn.execute(select(table.c.id)).scalars().all()
            assert len(ids) == len(set(ids)), table.name
