"""`crm-pipelines demo`: the pipeline on the embedded default, end to end, with a summary.

It starts the CRM simulator on a free loopback port with four orgs (three Salesforce orgs and an
Insightly one), registers a tenant for each,
and runs the CRM sync, the daily list rebuild and the outbound push for all of them through a real
Dagster instance. One tenant's daily API budget is set too small on purpose: its sync runs out,
defers, and skips matching, the field sync and the workflows (they wait for a complete extraction);
the `api_limit_backoff` sensor resumes the deferred objects and the whole chain after them once the
pipeline clock is moved past the window (the demo cannot wait 24 hours); its push then does the
same. One tenant has pushes off.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack

from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_insightly_org, app_data_for_org
from crm_pipelines.cli.output import echo, progress
from crm_pipelines.demo import steps
from crm_pipelines.demo.context import DemoContext, TenantStory
from crm_pipelines.demo.setup import DEMO_ORGS, INSIGHTLY_ORGS, demo_home, demo_simulator, demo_tenant
from crm_pipelines.demo.summary import print_summary
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry

STEPS = (steps.sync_every_tenant, steps.backoff_sensor, steps.disqualify_a_lead, steps.edit_both_sides,
         steps.rebuild_lists, steps.push_every_tenant)


def _quiet_skipped_checks() -> None:
    # While globex's extraction is deferred its matching is skipped on purpose, and with it the
    # matching's checks; Dagster then warns on stderr that those checks gated nothing. The run's
    # own log says why it skipped; the warning would only alarm a reader of the demo.
    logging.getLogger("dagster._core.execution.plan.active").addFilter(
        lambda record: "emitted no result" not in record.getMessage())


def register_tenants(ctx: DemoContext) -> None:
    ctx.tenants = TenantRegistry(ctx.db).add_many([demo_tenant(org, ctx.sim.base_url) for org in DEMO_ORGS])
    ctx.stories = {t.id: TenantStory(t.id) for t in ctx.tenants}
    for t in ctx.tenants:
        ctx.echo(f"registered tenant {t.id:<8} {t.connection.kind:<10} sync every {t.settings.sync.frequency_minutes} min, "
                 f"API limit {t.settings.api_budget.daily_limit}/day, pushes {'on' if t.settings.push.enabled else 'off'}")
    for t in ctx.tenants:
        seeded = app_data_for_insightly_org if t.id in INSIGHTLY_ORGS else app_data_for_org
        app_data = seeded(ctx.sim.org(t.id), seed=1)
        write_app_tables(ctx.db, t.id, app_data)
        ctx.echo(f"app data for {t.id:<8} {len(app_data['app_users'])} users, {len(app_data['prospects'])} prospects, "
                 f"{len(app_data['companies'])} companies (seeded from the org's records)")
    ctx.instance.add_dynamic_partitions(tenant_partitions.name, [t.id for t in ctx.tenants])


def tell_the_story(ctx: DemoContext) -> bool:
    edited = None
    for step in STEPS:
        outcome = step(ctx)
        ctx.bar.advance(note=step.__name__.replace("_", " "))
        if outcome is False:
            return False
        if isinstance(outcome, steps.BothSides):
            edited = outcome
    if edited is not None:
        steps.show_the_lead_in_the_crm(ctx, edited)
    ctx.echo("")
    print_summary(ctx)
    return True


def run_demo() -> int:
    _quiet_skipped_checks()
    started = time.monotonic()
    home = demo_home()
    db_url = f"sqlite:///{home / 'crm_pipelines.db'}"
    with ExitStack() as stack, progress(len(STEPS) + 2, "demo") as bar:
        bar.echo(f"demo data: {home}")
        sim = demo_simulator(stack, home)
        bar.echo(f"CRM simulator: {sim.base_url} (orgs {', '.join(DEMO_ORGS)}; "
                 f"{', '.join(sorted(INSIGHTLY_ORGS))} in Insightly's dialect)")
        os.environ["DAGSTER_HOME"] = str(home / "dagster")
        instance = DagsterInstance.from_config(str(home / "dagster"))
        ctx = DemoContext(home=home, db=open_database(db_url), db_url=db_url, sim=sim, instance=instance, bar=bar)
        register_tenants(ctx)
        bar.advance(note="tenants registered")
        if not tell_the_story(ctx):
            return 1
        bar.advance(note="summary")
    echo(f"\ndone in {time.monotonic() - started:.1f} s; open the UI on this data with `make ui`")
    return 0
