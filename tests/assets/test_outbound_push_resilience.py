"""Outbound pushes survive a crash, a flaky CRM and a budget too small (P8, S1, O4): each record
exactly once in the CRM, the ledger agreeing with it."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context

from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.clock import ClockResource, system_clock
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.app_data import read_app_table, write_app_table
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.push_ledger import ledger_counts, read_ledger
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.assets.test_outbound_push import by_external_id, control, crm_sync, push, seeded
from tests.sim_tenants import db_url, metadata_by_asset, run_job
from tests.store_copies import first_sync_copy

DAY = 24 * 3600 + 120


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as sim:
        yield sim


def synced_acme(tmp_path_factory, sim, db) -> None:
    """`seeded` acme after its first sync, made once per worker and copied (tests/store_copies.py)."""
    def first_sync(store) -> None:
        seeded(store, sim)
        crm_sync(store, "acme", DagsterInstance.ephemeral())

    first_sync_copy(tmp_path_factory, "push-resilience-acme-3", sim, db, first_sync)


def many_events(db, tenant: str, n: int) -> list[str]:
    """`n` more activity events, spread over the prospects linked to CRM records; their ids."""
    prospects = read_app_table(db, tenant, "prospects")
    linked = prospects.loc[prospects["crm_id"].notna() & ~prospects["is_deleted"].fillna(False).astype(bool), "prospect_id"]
    at = pd.Timestamp("2026-11-02 09:00", tz="UTC")
    events = pd.DataFrame({
        "event_id": [f"ev-bulk-{i:05d}" for i in range(n)],
        "prospect_id": linked.to_numpy()[pd.RangeIndex(n) % len(linked)],
        "user_id": pd.NA, "kind": "email_sent", "object_type": pd.NA, "object_id": pd.NA, "object_name": pd.NA,
        "occurred_at": [at + pd.Timedelta(minutes=i) for i in range(n)],
    })
    write_app_table(db, tenant, "activity_events", events)
    return events["event_id"].tolist()


def assert_crm_and_ledger_agree_once_per_event(db, sim, event_ids: list[str]) -> None:
    counts = control(sim, "acme", "GET", "/external-ids/Task")
    expected = {f"event:{e}" for e in event_ids}
    assert expected <= set(counts), f"{len(expected - set(counts))} events never reached the CRM"
    twice = {k: v for k, v in counts.items() if k in expected and (v["creates"] != 1 or v["records"] != 1)}
    assert not twice, f"Tasks created more than once: {list(twice.items())[:5]}"
    ledger = read_ledger(db, "acme").set_index("external_id")
    tasks = by_external_id(sim, "acme", "Task")
    rows = ledger.loc[sorted(expected)]
    assert set(rows["state"]) == {"sent"}
    assert (rows["crm_id"].to_numpy() == tasks.loc[rows.index, "Id"].to_numpy()).all()


CHILD = textwrap.dedent(
    """
    import sys
    from tests.sim_tenants import run_job
    from crm_pipelines.store.database import open_database
    result = run_job(open_database(sys.argv[1]), "outbound_push", "acme")
    print("finished", result.success)
    """
)


@pytest.mark.slow
@pytest.mark.both_backends
def test_a_push_killed_mid_delivery_then_run_again_leaves_one_crm_record_per_external_id(db, sim, tmp_path_factory):
    synced_acme(tmp_path_factory, sim, db)
    instance = DagsterInstance.ephemeral()
    events = many_events(db, "acme", 6000)  # six calls of 1,000 Tasks
    # Every other call is answered and then cut off: the CRM has the Tasks, the pusher does not know
    # yet and backs off to retry. Killing it then is the worst moment there is.
    sim.set_faults("drop=after@0.5", org="acme")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url(db)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        # A guard against a hang only: the loop ends as soon as the window opens, and a child that
        # takes minutes to start on a loaded machine must still be killed inside it.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            created = len(control(sim, "acme", "GET", "/external-ids/Task"))
            sent = ledger_counts(db, "acme")["sent"]
            if sent >= 200 and created > sent:
                break
            assert child.poll() is None, "the push finished before it could be killed: " + child.stdout.read().decode()[-2000:]
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    created, counts = len(control(sim, "acme", "GET", "/external-ids/Task")), ledger_counts(db, "acme")
    assert counts["pending"] > 0 and created > counts["sent"], "killed outside the window that matters"
    assert created < len(events), "killed too late"

    sim.set_faults(None, org="acme")
    result = push(db, "acme", instance)
    assert result.success
    assert_crm_and_ledger_agree_once_per_event(db, sim, events)
    assert ledger_counts(db, "acme")["pending"] == 0


@pytest.mark.slow
def test_with_calls_failing_and_connections_cut_after_the_write_every_task_arrives_once(sqlite_db, sim, tmp_path_factory):
    synced_acme(tmp_path_factory, sim, sqlite_db)
    instance = DagsterInstance.ephemeral()
    events = many_events(sqlite_db, "acme", 1200)
    sim.set_faults("drop=after@0.15,500@0.1,503@0.05,429=0@0.05", org="acme")
    patient = CrmClientResource(max_backoff_seconds=0.05, max_attempts=12)
    result = push(sqlite_db, "acme", instance, resources={"crm": patient})
    assert result.success
    assert [r for r in sim.org("acme").requests() if r.faults], "no fault was injected: the test would prove nothing"
    assert_crm_and_ledger_agree_once_per_event(sqlite_db, sim, events)


def sensor_requests(instance, db, offset_seconds: float):
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)})
    result = api_limit_backoff(context)
    return [] if isinstance(result, SkipReason) else list(result)


def test_a_budget_too_small_sends_exactly_what_fits_defers_and_completes_when_the_window_reopens(db, sim):
    # Only Tasks to send: 2,500 events, three calls (a composite of five collections of 200 is one).
    seeded(db, sim, **{"push.activity_touch_outcomes": "", "push.app_to_crm": "false"})
    instance = DagsterInstance.ephemeral()
    crm_sync(db, "acme", instance)
    events = many_events(db, "acme", 2500)
    used = ApiBudget(db, "acme", 5000, system_clock).status().used
    # The push logs in (each run has logins of its own) and reads the org's usage (/limits): two calls, then two batches fit.
    TenantRegistry(db).set("acme", {"api_budget.daily_limit": str(used + 4)})

    first = push(db, "acme", instance)
    assert first.success, "running out of budget is not a failure"
    md = metadata_by_asset(first)["crm_push_results"]
    assert (md["sent"], md["api_calls_used"], md["api_calls_left"], md["deferred"]) == (2000, 4, 0, True)
    assert len(control(sim, "acme", "GET", "/external-ids/Task")) == 2000
    [deferral] = DeferralStore(db).open("acme", job="outbound_push")
    assert deferral.resume_at > system_clock() + pd.Timedelta(hours=23)

    assert sensor_requests(instance, db, 0) == []
    assert sensor_requests(instance, db, 12 * 3600) == []
    [request] = sensor_requests(instance, db, DAY)
    assert (request.job_name, request.partition_key, request.run_key) == ("outbound_push", "acme", f"deferral-{deferral.id}")
    resumed = run_job(db, request.job_name, "acme", instance, clock_offset_seconds=DAY,
                      tags={**request.tags, "dagster/run_key": request.run_key})
    assert resumed.success
    assert metadata_by_asset(resumed)["crm_push_results"]["sent"] == 500
    assert DeferralStore(db).open("acme") == []
    assert_crm_and_ledger_agree_once_per_event(db, sim, events)
