"""One tenant through many sync and push cycles against the simulator, with trouble on purpose.

Each cycle: CRM users and app users edit both sides, app users log activity and add prospects,
now and then a CRM user deletes or converts a record; then one kind of trouble (none, the
tenant's budget running out at a random point, the CRM's faults, the org's own limit answering
403 REQUEST_LIMIT_EXCEEDED, or a run killed with SIGKILL mid-write); then the CRM sync, the
outbound push and the auto-save rebuild run as the schedules would, and whatever was deferred is
resumed by the `api_limit_backoff` sensor once the clock has moved past the window.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.clock import ClockResource
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.definitions import build_definitions
from crm_pipelines.partitions import TENANT_TAG, tenant_partitions
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.tenants import TenantRegistry
from soak import edits, invariants
from soak.simulator_control import SimControl

TENANT = "soak"
DAY = 24 * 3600 + 300
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# A delay past the soak's read timeout is a timeout as the client sees it, the write done or not.
FAULTS = "500@0.06,503@0.04,429=1@0.04,truncate@0.02,drop=before@0.02,drop=after@0.02,delay=2@0.02"
READ_TIMEOUT_SECONDS = 1.0
ROOMY_LIMIT = 1_000_000
FIRST_SYNC_BUDGET = 6
TROUBLES = ("none", "budget", "faults", "org_limit", "kill")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SoakReport:
    cycles: int = 0
    runs: int = 0
    failed_runs: int = 0
    killed: int = 0
    deferrals: int = 0
    deleted_from_lists: int = 0  # CRM deletes of records that were on an auto-save list
    resumed: int = 0
    troubles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TROUBLES, 0))
    checks: list[invariants.Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


class Soak:
    def __init__(self, db: Database, db_url: str, sim_url: str, sim_org, seed: int, echo) -> None:  # type: ignore[no-untyped-def]
        self.db, self.db_url, self.echo = db, db_url, echo
        self.rng = np.random.default_rng(seed)
        self.sim = SimControl(sim_url, TENANT)
        self.instance = DagsterInstance.ephemeral()
        self.instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
        self.offset = 0.0
        self.expect = edits.Expectations()
        self.report = SoakReport()
        self.launched_run_keys: set[str] = set()
        self._register(sim_url)
        write_app_tables(db, TENANT, app_data_for_org(sim_org, seed=seed))
        self.emails_before = invariants.crm_emails(self.sim)

    def _register(self, sim_url: str) -> None:
        os.environ["SOAK_CLIENT_ID"], os.environ["SOAK_CLIENT_SECRET"] = TENANT, f"{TENANT}-secret"
        tenant = validated(Tenant, {
            "id": TENANT, "name": "Soak", "connection": {"login_url": sim_url, "credentials": {
                "grant": "client_credentials", "client_id_env": "SOAK_CLIENT_ID", "client_secret_env": "SOAK_CLIENT_SECRET"}}})
        TenantRegistry(self.db).add(tenant.with_settings({"api_budget.daily_limit": str(ROOMY_LIMIT)}))

    # -- running the pipeline -----------------------------------------------------------------
    def run(self, job_name: str, *, selection=None, checks=None, tags: dict | None = None) -> bool:  # type: ignore[no-untyped-def]
        job = build_definitions(self.db_url, clock_offset_seconds=self.offset).resolve_job_def(job_name)
        if selection:
            job = job.get_subset(asset_selection=set(selection), asset_check_selection=set(checks or ()))
        result = job.execute_in_process(instance=self.instance, partition_key=TENANT, run_config=QUIET,
                                        tags={TENANT_TAG: TENANT, **(tags or {})}, raise_on_error=False,
                                        resources={"crm": CrmClientResource(read_timeout_seconds=READ_TIMEOUT_SECONDS)})
        self.report.runs += 1
        if not result.success:
            self.report.failed_runs += 1
            failures = [e.message for e in result.all_events if e.is_failure]
            self.echo(f"    {job_name} run failed: {failures[-1] if failures else 'no failure event'}")
        return result.success

    def run_killed(self, job_name: str) -> None:
        """Run `job_name` in a child process and SIGKILL it once it has made a few CRM calls."""
        before = self.sim.api_usage()
        child = subprocess.Popen(
            [sys.executable, "-m", "soak.child", self.db_url, job_name, TENANT, str(self.offset)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wanted = before + int(self.rng.integers(1, 6))
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and child.poll() is None and self.sim.api_usage() < wanted:
                time.sleep(0.01)
            time.sleep(float(self.rng.uniform(0, 0.3)))
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                self.report.killed += 1
                self.echo(f"    {job_name} killed with SIGKILL after {self.sim.api_usage() - before} CRM calls")
            else:
                self.echo(f"    {job_name} finished before it could be killed")
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
        self.report.runs += 1

    def resume_deferred(self) -> None:
        """As the `api_limit_backoff` sensor would: nothing before the window reopens, then the
        runs it asks for, until no deferral is left."""
        for _ in range(10):
            if not DeferralStore(self.db).open(TENANT):
                return
            requests = [r for r in self._sensor() if r.run_key not in self.launched_run_keys]
            if not requests:
                self._next_day()
                continue
            for request in requests:
                if request.run_key in self.launched_run_keys:
                    continue  # the daemon launches a sensor's run key once, ever
                self.launched_run_keys.add(request.run_key)
                self.report.resumed += 1
                self.run(request.job_name, selection=request.asset_selection, checks=request.asset_check_keys,
                         tags={**request.tags, "dagster/run_key": request.run_key})
        raise RuntimeError(f"deferrals still open after ten windows: {DeferralStore(self.db).open(TENANT)}")

    def _sensor(self) -> list[RunRequest]:
        from crm_pipelines.store.resource import DatabaseResource

        context = build_sensor_context(instance=self.instance, resources={
            "database": DatabaseResource(database_url=self.db_url), "clock": ClockResource(offset_seconds=self.offset)})
        result = api_limit_backoff(context)
        return [] if isinstance(result, SkipReason) else list(result)

    def _next_day(self) -> None:
        """A day passes for the pipeline and the org alike: both windows roll over, and the other
        integrations that used up the org's quota yesterday are gone with it."""
        self.offset += DAY
        self.sim.advance_clock(DAY)
        self.sim.set_api_limit(ROOMY_LIMIT)

    # -- trouble --------------------------------------------------------------------------------
    def _set_budget(self, limit: int) -> None:
        TenantRegistry(self.db).set(TENANT, {"api_budget.daily_limit": str(limit)})

    def _budget_used(self) -> int:
        from datetime import UTC, datetime

        budget = ApiBudget(self.db, TENANT, ROOMY_LIMIT, lambda: datetime.now(UTC) + timedelta(seconds=self.offset))
        return budget.status().used

    def cycle(self, number: int, trouble: str) -> None:
        rng, sim, db, expect = self.rng, self.sim, self.db, self.expect
        hot = edits.hot_records(rng, db, TENANT, expect, int(rng.integers(2, 5)))
        # Either side may edit first: the later edit of a field must win, and an edit of another
        # field of the same record must survive it.
        sides = [lambda: edits.crm_edits(rng, sim, hot, expect, number, int(rng.integers(2, 7))),
                 lambda: edits.app_edits(rng, sim, db, TENANT, hot, expect, number, int(rng.integers(2, 7)))]
        for side in (sides if rng.random() < 0.5 else sides[::-1]):
            side()
            sim.advance_clock(1)
        edits.app_events(rng, sim, db, TENANT, expect, number, int(rng.integers(1, 6)))
        if number % 3 == 0:
            edits.new_prospects(rng, sim, db, TENANT, number)
        if number % 4 == 1:
            edits.crm_deletes(rng, sim, db, TENANT, expect)
        if number % 5 == 2:
            edits.crm_conversions(rng, sim, db, TENANT, expect)
        sim.advance_clock(1)

        self.report.troubles[trouble] += 1
        deferrals_before = len(DeferralStore(db).open(TENANT))
        if trouble == "budget":
            self._set_budget(self._budget_used() + int(rng.integers(1, 9)))
        elif trouble == "faults":
            sim.set_faults(FAULTS)
        elif trouble == "org_limit":
            sim.set_api_limit(sim.api_usage() + int(rng.integers(2, 10)))
        if trouble == "kill":
            job = str(rng.choice(["crm_sync", "outbound_push"]))
            if job == "outbound_push":  # enough to push that the kill lands between batches
                edits.app_events(rng, sim, db, TENANT, expect, number, 600, prefix="bulk")
            self.run_killed(job)
        self.run("crm_sync")
        self.run("outbound_push")
        self.run("auto_save_rebuild")  # the lists' daily rebuild, so later deletes meet items on lists
        self.report.deferrals += max(0, len(DeferralStore(db).open(TENANT)) - deferrals_before)
        sim.set_faults(None)
        self.resume_deferred()
        if trouble == "budget":
            self._set_budget(ROOMY_LIMIT)
        elif trouble == "org_limit":
            sim.set_api_limit(ROOMY_LIMIT)
        self.report.cycles += 1

    def settle_and_check(self) -> SoakReport:
        """With no trouble left, one more sync, push and sync (so pushed values come back), the
        list rebuild, then the invariants."""
        self.sim.set_faults(None)
        self.sim.advance_clock(1)
        for job in ("crm_sync", "outbound_push", "crm_sync", "auto_save_rebuild"):
            self.run(job)
        self.resume_deferred()
        self.report.deleted_from_lists = self.expect.deleted_from_lists
        self.report.checks = [
            invariants.two_way_fields_hold_the_newest_edit(self.sim, self.db, TENANT, self.expect),
            invariants.no_duplicate_lead_or_contact_created(self.sim, self.emails_before, self.expect, self.db, TENANT),
            invariants.every_event_in_the_crm_once(self.sim, self.db, TENANT),
            invariants.no_deleted_record_live(self.sim, self.db, TENANT),
            invariants.no_converted_lead_on_a_list(self.sim, self.db, TENANT),
        ]
        return self.report


def troubles_for(cycles: int, rng: np.random.Generator) -> list[str]:
    """A random trouble per cycle, with every kind (a kill included) at least once."""
    chosen = [str(t) for t in rng.choice(TROUBLES, size=cycles)]
    for k, trouble in enumerate(TROUBLES[1:]):
        if trouble not in chosen and k + 1 < cycles:
            chosen[k + 1] = trouble
    return chosen


def run_soak(db_url: str, *, cycles: int = 20, seed: int = 7, scale: str = "tiny", echo=print) -> SoakReport:  # type: ignore[no-untyped-def]
    db = open_database(db_url)
    with run_simulator(orgs=(TENANT,), scale=scale, seed=seed, api_limit=ROOMY_LIMIT) as server:
        soak = Soak(db, db_url, server.base_url, server.org(TENANT), seed, echo)
        troubles = troubles_for(cycles, soak.rng)
        echo(f"soak: tenant {TENANT}, {cycles} cycles on a {scale} org (seed {seed}), database {db.engine.url.drivername}")
        started = time.monotonic()
        # The first connection, as a new tenant's: its budget runs out mid-extraction and the
        # push schedule comes round before the window reopens.
        soak._set_budget(FIRST_SYNC_BUDGET)
        soak.run("crm_sync")
        soak.run("outbound_push")
        soak.resume_deferred()
        soak._set_budget(ROOMY_LIMIT)
        for number, trouble in enumerate(troubles):
            soak.cycle(number, trouble)
            echo(f"  cycle {number + 1:>2}/{cycles}: {trouble:<9} runs {soak.report.runs}, deferrals "
                 f"{soak.report.deferrals}, resumed {soak.report.resumed} ({time.monotonic() - started:.0f} s)")
        report = soak.settle_and_check()
    r = report
    echo(f"\n{r.cycles} cycles, {r.runs} runs ({r.failed_runs} failed, {r.killed} killed with SIGKILL), "
         f"{r.deferrals} deferrals, {r.resumed} resumed by the sensor; troubles: "
         + ", ".join(f"{k} {v}" for k, v in r.troubles.items()))
    echo(f"edits: {soak.expect.edits['crm']} in the CRM, {soak.expect.edits['app']} in the app, "
         f"{len(soak.expect.live())} fields with a newest edit to agree on, {len(soak.expect.retired)} records retired; "
         "CRM deletes: " + ", ".join(f"{k} {v}" for k, v in soak.expect.deletes.items())
         + f" ({soak.expect.deleted_from_lists} of records on an auto-save list)")
    echo("invariants (from the simulator's records and the app's tables):")
    for check in r.checks:
        echo(check.line())
    return report
