"""`crm-pipelines demo`: the pipeline on the embedded default, end to end, with a summary.

It starts the CRM simulator on a free loopback port with three orgs, registers a tenant for each,
and runs the CRM sync, the daily list rebuild and the outbound push for all of them through a real
Dagster instance. One tenant's daily API budget is set too small on purpose: its sync runs out,
defers, and skips matching, the field sync and the workflows (they wait for a complete extraction);
the `api_limit_backoff` sensor resumes the deferred objects and the whole chain after them once the
pipeline clock is moved past the window (the demo cannot wait 24 hours); its push then does the
same. One tenant has pushes off.

The demo keeps its own data under `<data folder>/demo` and starts from scratch each time, so it
never touches a real tenant's data and always tells the same story.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.sensors import TENANT_TAG, api_limit_backoff
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.definitions import build_definitions
from crm_pipelines.instance import EMBEDDED_DAGSTER_YAML
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.paths import data_dir
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.api_budget import busiest_window
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.app_edits import edit_app_record
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import ledger_counts
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tables import metadata
from crm_pipelines.store.tenants import TenantRegistry

DEMO_ORGS = ("acme", "globex", "initech")
ACME_WORKFLOWS = ("[{name: Exit disqualified, record_type: Lead, action: exit_cadence, "
                  "criteria: [{field: status, operator: equals, value: Disqualified}]}]")
DEMO_SETTINGS: dict[str, dict[str, str]] = {
    "acme": {"sync.frequency_minutes": "15", "push.interval_minutes": "30",
             "push.activity_touch_outcomes": "email_replied,call_connected",
             "sync.updates_with_criteria": "true", "workflows": ACME_WORKFLOWS},
    # Too small for a first full sync on purpose: the demo shows the deferral and its resumption.
    "globex": {"api_budget.daily_limit": "12"},
    # Matching by email off (F4.6) where pushes are off: with both on, F7 would create Leads for
    # prospects whose email a CRM record already has, which is what that setting asks for.
    "initech": {"push.enabled": "false", "connector.match_by_email": "false"},
}
DAY_AND_A_BIT = 24 * 3600 + 120
# The runs' step-by-step logs stay in the instance (and the UI); the terminal gets the story.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class TenantStory:
    tenant: str
    runs: int = 0
    resumed: int = 0
    notes: list[str] = field(default_factory=list)


def demo_home() -> Path:
    home = data_dir() / "demo"
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text(EMBEDDED_DAGSTER_YAML)
    return home


SIM_FILE = "simulator.json"
PREFERRED_SIM_PORT = 8765


def demo_credentials(org: str) -> dict[str, str]:
    """The simulator's credentials for an org, as the env vars the demo tenant names (the way
    production hands credentials over); the simulator's are public, so `make ui` sets them too."""
    return {f"DEMO_{org.upper()}_CLIENT_ID": org, f"DEMO_{org.upper()}_CLIENT_SECRET": f"{org}-secret"}


def _sim_port() -> int:
    """The simulator's usual port when free, so `make ui` can bring the same CRM back later."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", PREFERRED_SIM_PORT))
        except OSError:
            return 0
    return PREFERRED_SIM_PORT


def _demo_simulator(stack: ExitStack):  # type: ignore[no-untyped-def]
    port = _sim_port()
    try:
        return stack.enter_context(run_simulator(orgs=DEMO_ORGS, scale="tiny", seed=1, port=port))
    except OSError:
        if port == 0:
            raise
        # Another demo took the port between the probe and the bind: any free port will do.
        return stack.enter_context(run_simulator(orgs=DEMO_ORGS, scale="tiny", seed=1, port=0))


def demo_tenant(org: str, login_url: str) -> Tenant:
    env_prefix = f"DEMO_{org.upper()}"
    os.environ.update(demo_credentials(org))
    base = validated(
        Tenant,
        {
            "id": org,
            "name": f"{org.title()} Inc.",
            "connection": {
                "kind": "salesforce",
                "login_url": login_url,
                "credentials": {
                    "grant": "client_credentials",
                    "client_id_env": f"{env_prefix}_CLIENT_ID",
                    "client_secret_env": f"{env_prefix}_CLIENT_SECRET",
                },
            },
        },
    )
    return base.with_settings(DEMO_SETTINGS.get(org, {}))


def run_demo(echo: Callable[[str], None] = print) -> int:
    # While globex's extraction is deferred its matching is skipped on purpose, and with it the
    # matching's checks; Dagster then warns on stderr that those checks gated nothing. The run's
    # own log says why it skipped; the warning would only alarm a reader of the demo.
    logging.getLogger("dagster._core.execution.plan.active").addFilter(
        lambda record: "emitted no result" not in record.getMessage())
    started = time.monotonic()
    home = demo_home()
    db_url = f"sqlite:///{home / 'crm_pipelines.db'}"
    db = open_database(db_url)
    echo(f"demo data: {home}")

    with ExitStack() as stack:
        sim = _demo_simulator(stack)
        echo(f"CRM simulator: {sim.base_url} (orgs {', '.join(DEMO_ORGS)})")
        port = int(sim.base_url.rsplit(":", 1)[1])
        (home / SIM_FILE).write_text(json.dumps({"port": port, "orgs": list(DEMO_ORGS), "scale": "tiny", "seed": 1}))
        tenants = TenantRegistry(db).add_many([demo_tenant(org, sim.base_url) for org in DEMO_ORGS])
        for t in tenants:
            echo(f"registered tenant {t.id:<8} sync every {t.settings.sync.frequency_minutes} min, "
                 f"API limit {t.settings.api_budget.daily_limit}/day, pushes {'on' if t.settings.push.enabled else 'off'}")
        for t in tenants:
            app_data = app_data_for_org(sim.org(t.id), seed=1)
            write_app_tables(db, t.id, app_data)
            echo(f"app data for {t.id:<8} {len(app_data['app_users'])} users, {len(app_data['prospects'])} prospects, "
                 f"{len(app_data['companies'])} companies (seeded from the org's records)")

        os.environ["DAGSTER_HOME"] = str(home / "dagster")
        instance = DagsterInstance.from_config(str(home / "dagster"))
        instance.add_dynamic_partitions(tenant_partitions.name, [t.id for t in tenants])
        stories = {t.id: TenantStory(t.id) for t in tenants}

        echo("\n1. CRM sync for every tenant")
        defs = build_definitions(database_url=db_url)
        for t in tenants:
            result = defs.resolve_job_def("crm_sync").execute_in_process(
                instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id}, run_config=QUIET, raise_on_error=False
            )
            stories[t.id].runs += 1
            if not result.success:
                echo(f"   run for {t.id} failed; see `make ui`")
                return 1
            open_deferrals = DeferralStore(db).open(t.id)
            if open_deferrals:
                d = open_deferrals[0]
                echo(f"   {t.id}: API budget ran out; deferred {', '.join(d.objects)} until {d.resume_at:%Y-%m-%d %H:%M} UTC;"
                     " matching, field sync and workflows wait for the complete extraction")
            else:
                echo(f"   {t.id}: synced")

        echo("\n2. The api_limit_backoff sensor")
        now_requests = _evaluate_sensor(instance, db_url, 0)
        echo(f"   now: {'nothing to launch' if not now_requests else now_requests}")
        offset = _resume_deferred(echo, instance, db, db_url, stories, DAY_AND_A_BIT)

        echo("\n3. A cadence workflow: a CRM user disqualifies a Lead of acme whose prospect is in a cadence")
        line = _disqualify_a_lead(sim.org("acme"), db, defs, instance, stories["acme"])
        if line is None:
            return 1
        echo(f"   {line}")

        echo("\n4. Edits on both sides of one acme Lead (F3, three-way per field)")
        edited = _edit_both_sides(sim.org("acme"), db, defs, instance, stories["acme"])
        if edited is None:
            return 1
        for line in edited.lines:
            echo(f"   {line}")

        echo("\nThe daily list rebuild (auto-save lists), for every connected tenant")
        rebuild = defs.resolve_job_def("auto_save_rebuild")
        for t in tenants:
            result = rebuild.execute_in_process(
                instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id}, run_config=QUIET, raise_on_error=False)
            stories[t.id].runs += 1
            if not result.success:
                echo(f"   list rebuild for {t.id} failed; see `make ui`")
                return 1
            lists = read_lists(db, t.id)
            echo(f"   {t.id}: {lists['user_id'].nunique()} users, {int((lists['list'] == 'accounts').sum())} accounts and "
                 f"{int((lists['list'] == 'leads_and_contacts').sum())} leads and contacts saved")

        echo("\nThe outbound push (activity and touch Tasks, new Leads, field updates, campaigns), for every tenant")
        pushing = build_definitions(database_url=db_url, clock_offset_seconds=offset).resolve_job_def("outbound_push")
        for t in tenants:
            result = pushing.execute_in_process(
                instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id}, run_config=QUIET, raise_on_error=False)
            stories[t.id].runs += 1
            if not result.success:
                echo(f"   push for {t.id} failed; see `make ui`")
                return 1
            echo(f"   {t.id}: {_push_line(db, t)}")
        if DeferralStore(db).open():
            echo("   the api_limit_backoff sensor resumes the deferred work once the window reopens:")
            offset = _resume_deferred(echo, instance, db, db_url, stories, offset + DAY_AND_A_BIT)
            waited = [t for t in tenants if t.settings.push.enabled and ledger_counts(db, t.id)["sent"] == 0]
            if waited:
                echo("   the push schedule's next slot, for the tenants whose push waited:")
                pushing = build_definitions(database_url=db_url, clock_offset_seconds=offset).resolve_job_def("outbound_push")
                for t in waited:
                    result = pushing.execute_in_process(instance=instance, partition_key=t.id, tags={TENANT_TAG: t.id},
                                                        run_config=QUIET, raise_on_error=False)
                    stories[t.id].runs += 1
                    if not result.success:
                        echo(f"   push for {t.id} failed; see `make ui`")
                        return 1
                    echo(f"   {t.id}: {_push_line(db, t)}")
                if DeferralStore(db).open():
                    offset = _resume_deferred(echo, instance, db, db_url, stories, offset + DAY_AND_A_BIT)
        if edited.crm_id:
            lead = sim.org("acme").record("Lead", edited.crm_id)
            echo(f"   acme's Lead {edited.crm_id} in the CRM now: Title {lead['Title']!r} (the CRM's later edit), "
                 f"Phone {lead['Phone']!r} (the app's edit), City {lead['City']!r} (the CRM's edit)")

        echo("")
        _print_summary(echo, db, tenants, stories)
    echo(f"\ndone in {time.monotonic() - started:.1f} s; open the UI on this data with `make ui`")
    return 0


def _resume_deferred(echo: Callable[[str], None], instance: DagsterInstance, db: Database, db_url: str,
                     stories: dict[str, TenantStory], offset: float) -> float:
    """Move the pipeline clock a window at a time and launch what the sensor asks for, until no
    deferral is left; returns the clock offset reached."""
    while DeferralStore(db).open():
        requests = _evaluate_sensor(instance, db_url, offset)
        echo(f"   pipeline clock +{offset / 3600:.0f} h: {len(requests)} run(s) to launch")
        if not requests:
            offset += DAY_AND_A_BIT
            continue
        resumed_defs = build_definitions(database_url=db_url, clock_offset_seconds=offset)
        for request in requests:
            job = resumed_defs.resolve_job_def(request.job_name)
            if request.asset_selection:
                job = job.get_subset(asset_selection=set(request.asset_selection))
            result = job.execute_in_process(
                instance=instance, partition_key=request.partition_key,
                tags={**request.tags, "dagster/run_key": request.run_key}, run_config=QUIET, raise_on_error=False,
            )
            story = stories[request.partition_key]
            story.runs += 1
            story.resumed += 1
            still = DeferralStore(db).open(request.partition_key)
            echo(f"   resumed {request.partition_key} {request.job_name} ({request.run_key}): "
                 + ("done" if result.success and not still else f"deferred again ({', '.join(still[0].objects)})"))
        offset += DAY_AND_A_BIT
    return offset


def _disqualify_a_lead(org, db: Database, defs, instance: DagsterInstance, story: TenantStory) -> str | None:
    """Edit one Lead's Status in the CRM as a user would, sync, and say what the workflow did."""
    prospects = read_app_table(db, "acme", "prospects")
    memberships = read_app_table(db, "acme", "cadence_memberships")
    active = set(memberships.loc[memberships["status"] == "active", "prospect_id"])
    leads = prospects.loc[(prospects["crm_type"] == "Lead") & prospects["prospect_id"].isin(active)
                          & ~prospects["crm_id"].duplicated(keep=False) & prospects["crm_id"].notna()]
    if leads.empty:
        return "no Lead of acme is in a cadence: nothing to show"
    lead = leads.iloc[0]
    org.advance_clock(60)
    org.edit("Lead", lead["crm_id"], {"Status": "Disqualified"})
    result = defs.resolve_job_def("crm_sync").execute_in_process(
        instance=instance, partition_key="acme", tags={TENANT_TAG: "acme"}, run_config=QUIET, raise_on_error=False)
    story.runs += 1
    if not result.success:
        return None
    after = read_app_table(db, "acme", "cadence_memberships")
    exited = after.loc[(after["prospect_id"] == lead["prospect_id"]) & (after["status"] == "exited"), "membership_id"]
    return (f"Lead {lead['crm_id']} is Disqualified; the sync's 'Exit disqualified' workflow exited prospect "
            f"{lead['prospect_id']} from {len(exited)} cadence membership(s) (`crm-pipelines log --tenant acme "
            f"--record {exited.iloc[0] if len(exited) else lead['prospect_id']}`)")


@dataclass
class BothSides:
    crm_id: str | None
    lines: list[str]


def _edit_both_sides(org, db: Database, defs, instance: DagsterInstance, story: TenantStory) -> BothSides | None:
    """An app user edits a Lead's Title and Phone; an hour later a CRM user edits its Title and
    City. The sync keeps every edit: the Title went to the later side (a conflict, logged with both
    values), the City comes into the app, the Phone waits for the push."""
    prospects = read_app_table(db, "acme", "prospects")
    is_lead = (prospects["crm_type"] == "Lead").fillna(False).astype(bool)
    leads = prospects.loc[prospects["prospect_id"].str.startswith("p-id-").astype(bool) & is_lead
                          & ~prospects["crm_id"].duplicated(keep=False) & prospects["crm_id"].notna()]
    if leads.empty:
        return BothSides(None, ["no linked acme Lead to edit: nothing to show"])
    prospect_id, crm_id = leads.iloc[-1]["prospect_id"], leads.iloc[-1]["crm_id"]
    app_edit_at = org.clock.now() + pd.Timedelta(minutes=1)
    edit_app_record(db, "acme", "prospects", prospect_id,
                    {"title": "Head of Revenue", "phone": "+1 415 555 0142"}, app_edit_at.to_pydatetime())
    org.advance_clock(3600)
    org.edit("Lead", crm_id, {"Title": "VP Sales", "City": "Lisbon"})
    result = defs.resolve_job_def("crm_sync").execute_in_process(
        instance=instance, partition_key="acme", tags={TENANT_TAG: "acme"}, run_config=QUIET, raise_on_error=False)
    story.runs += 1
    if not result.success:
        return None
    log = read_log(db, "acme", record=prospect_id)
    conflict = log.loc[log["reason"].str.startswith("conflict_") & (log["field"] == "title")]
    after = read_app_table(db, "acme", "prospects").set_index("prospect_id").loc[prospect_id]
    lines = [f"app: prospect {prospect_id} Title 'Head of Revenue', Phone '+1 415 555 0142' at "
             f"{app_edit_at:%H:%M}; CRM, an hour later: Lead {crm_id} Title 'VP Sales', City 'Lisbon'"]
    if conflict.empty:
        lines.append("no conflict was logged for the Title")
    else:
        row = conflict.iloc[-1]
        lines.append(f"Title changed on both sides: {row['reason']}, {row['old_value']!r} -> {row['new_value']!r} "
                     f"(`crm-pipelines log --tenant acme --record {prospect_id}`)")
    lines.append(f"the app now: Title {after['title']!r}, City {after['city']!r} (the CRM's edit), "
                 f"Phone {after['phone']!r} (its own edit, for the next push)")
    return BothSides(crm_id, lines)


def _push_line(db: Database, tenant: Tenant) -> str:
    if not tenant.settings.push.enabled:
        return "pushes are off (push.enabled=false): nothing sent"
    counts = ledger_counts(db, tenant.id)
    deferred = DeferralStore(db).open(tenant.id, job="outbound_push")
    line = f"{counts['sent']} records in the CRM, {counts['failed']} refused by it (see `crm-pipelines push status`)"
    if deferred:
        line += f"; API budget ran out, the rest deferred until {deferred[0].resume_at:%Y-%m-%d %H:%M} UTC"
    return line


def _evaluate_sensor(instance: DagsterInstance, db_url: str, offset_seconds: float) -> list[RunRequest]:
    context = build_sensor_context(
        instance=instance,
        resources={"database": DatabaseResource(database_url=db_url), "clock": ClockResource(offset_seconds=offset_seconds)},
    )
    result = api_limit_backoff(context)
    return [] if isinstance(result, SkipReason) else list(result)


def _print_summary(echo: Callable[[str], None], db: Database, tenants: list[Tenant], stories: dict[str, TenantStory]) -> None:
    header = (f"{'tenant':<9} {'records':>8} {'accounts':>8} {'contacts':>8} {'leads':>6} {'API calls':>9} "
              f"{'most/24h':>8} {'limit/day':>9} {'runs':>5} {'deferrals':>9} {'resumed':>8} {'users':>6} {'prospects':>9} "
              f"{'companies':>9} {'log changes':>11} {'list items':>10} {'pushed':>6} {'refused':>7}")
    echo(header)
    echo("-" * len(header))
    for t in tenants:
        counts = {obj.name: len(read_records(db, obj, t.id)) for obj in CRM_OBJECTS}
        matched = {name: len(read_tenant_partition(db, metadata.tables[name], t.id))
                   for name in ("matched_users", "matched_prospects", "matched_accounts")}
        s = stories[t.id]
        pushes = ledger_counts(db, t.id)
        echo(f"{t.id:<9} {sum(counts.values()):>8} {counts['Account']:>8} {counts['Contact']:>8} {counts['Lead']:>6} "
             f"{_calls_ever(db, t.id):>9} {busiest_window(db, t.id):>8} {t.settings.api_budget.daily_limit:>9} {s.runs:>5} "
             f"{DeferralStore(db).count(t.id):>9} {s.resumed:>8} {matched['matched_users']:>6} "
             f"{matched['matched_prospects']:>9} {matched['matched_accounts']:>9} {len(read_log(db, t.id)):>11} "
             f"{len(read_lists(db, t.id)):>10} {pushes['sent']:>6} {pushes['failed']:>7}")
    echo("API calls: over every day of the demo (its clock moves a day at a time); most/24h: the most in any "
         "24 hours, which the tenant's daily limit holds")
    echo("users, prospects, companies: app records matched to CRM records; log changes: connector-log rows "
         "(see `crm-pipelines log --tenant <tenant>`); list items: auto-save list entries of all users; pushed, refused: "
         "CRM records the outbound push created or updated, and those the CRM refused (`crm-pipelines push status`)")


def _calls_ever(db: Database, tenant_id: str) -> int:
    from sqlalchemy import func, select

    from crm_pipelines.store.tables import api_calls

    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(api_calls.c.calls), 0)).where(api_calls.c.tenant_id == tenant_id)).scalar_one())
