"""The demo's story, one step a function: each prints what happened and says whether its runs
succeeded (a failed run ends the demo; its log is in the UI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from crm_pipelines.demo.time_travel import DAY_AND_A_BIT, evaluate_sensor, resume_deferred
from crm_pipelines.demo.context import DemoContext
from crm_pipelines.demo.summary import push_line
from crm_pipelines.settings import Tenant
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.app_edits import edit_app_record
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.push_ledger import ledger_counts


def _failed(ctx: DemoContext, what: str, tenant_id: str) -> bool:
    ctx.echo(f"   {what} for {tenant_id} failed; see `make ui`")
    return False


def _run_for_each(ctx: DemoContext, tenants: Iterable[Tenant], job_name: str, what: str,
                  outcome: Callable[[Tenant], str], *, offset: float = 0.0) -> bool:
    """Run `job_name` for each tenant in turn, printing each one's outcome; a failed run stops the step."""
    for t in tenants:
        if not ctx.run(job_name, t.id, offset=offset):
            return _failed(ctx, what, t.id)
        ctx.echo(f"   {t.id}: {outcome(t)}")
    return True


def _synced(ctx: DemoContext, tenant: Tenant) -> str:
    open_deferrals = DeferralStore(ctx.db).open(tenant.id)
    if not open_deferrals:
        return "synced"
    d = open_deferrals[0]
    return (f"API budget ran out; deferred {', '.join(d.objects)} until {d.resume_at:%Y-%m-%d %H:%M} UTC;"
            " matching, field sync and workflows wait for the complete extraction")


def sync_every_tenant(ctx: DemoContext) -> bool:
    ctx.echo("\n1. CRM sync for every tenant")
    return _run_for_each(ctx, ctx.tenants, "crm_sync", "run", lambda t: _synced(ctx, t))


def backoff_sensor(ctx: DemoContext) -> bool:
    ctx.echo("\n2. The api_limit_backoff sensor")
    now_requests = evaluate_sensor(ctx, 0)
    ctx.echo(f"   now: {'nothing to launch' if not now_requests else now_requests}")
    ctx.offset = resume_deferred(ctx, DAY_AND_A_BIT)
    return True


def _leads_in_a_cadence(ctx: DemoContext) -> pd.DataFrame:
    prospects = read_app_table(ctx.db, "acme", "prospects")
    memberships = read_app_table(ctx.db, "acme", "cadence_memberships")
    active = set(memberships.loc[memberships["status"] == "active", "prospect_id"])
    return prospects.loc[(prospects["crm_type"] == "Lead") & prospects["prospect_id"].isin(active)
                         & ~prospects["crm_id"].duplicated(keep=False) & prospects["crm_id"].notna()]


def disqualify_a_lead(ctx: DemoContext) -> bool:
    """Edit one Lead's Status in the CRM as a user would, sync, and say what the workflow did."""
    ctx.echo("\n3. A cadence workflow: a CRM user disqualifies a Lead of acme whose prospect is in a cadence")
    leads = _leads_in_a_cadence(ctx)
    if leads.empty:
        ctx.echo("   no Lead of acme is in a cadence: nothing to show")
        return True
    lead = leads.iloc[0]
    org = ctx.sim.org("acme")
    org.advance_clock(60)
    org.edit("Lead", lead["crm_id"], {"Status": "Disqualified"})
    if not ctx.run("crm_sync", "acme"):
        return False
    after = read_app_table(ctx.db, "acme", "cadence_memberships")
    exited = after.loc[(after["prospect_id"] == lead["prospect_id"]) & (after["status"] == "exited"), "membership_id"]
    record = exited.iloc[0] if len(exited) else lead["prospect_id"]
    ctx.echo(f"   Lead {lead['crm_id']} is Disqualified; the sync's 'Exit disqualified' workflow exited prospect "
             f"{lead['prospect_id']} from {len(exited)} cadence membership(s) "
             f"({ctx.hint(f'log --tenant acme --record {record}')})")
    return True


@dataclass
class BothSides:
    prospect_id: str
    crm_id: str


def _a_linked_lead(ctx: DemoContext) -> BothSides | None:
    prospects = read_app_table(ctx.db, "acme", "prospects")
    is_lead = (prospects["crm_type"] == "Lead").fillna(False).astype(bool)
    leads = prospects.loc[prospects["prospect_id"].str.startswith("p-id-").astype(bool) & is_lead
                          & ~prospects["crm_id"].duplicated(keep=False) & prospects["crm_id"].notna()]
    return None if leads.empty else BothSides(leads.iloc[-1]["prospect_id"], leads.iloc[-1]["crm_id"])


def edit_both_sides(ctx: DemoContext) -> BothSides | None | bool:
    """An app user edits a Lead's Title and Phone; an hour later a CRM user edits its Title and
    City. The sync keeps every edit: the Title went to the later side (a conflict, logged with both
    values), the City comes into the app, the Phone waits for the push. False if the sync failed."""
    ctx.echo("\n4. Edits on both sides of one acme Lead (F3, three-way per field)")
    edited = _a_linked_lead(ctx)
    if edited is None:
        ctx.echo("   no linked acme Lead to edit: nothing to show")
        return None
    org = ctx.sim.org("acme")
    app_edit_at = org.clock.now() + pd.Timedelta(minutes=1)
    edit_app_record(ctx.db, "acme", "prospects", edited.prospect_id,
                    {"title": "Head of Revenue", "phone": "+1 415 555 0142"}, app_edit_at.to_pydatetime())
    org.advance_clock(3600)
    org.edit("Lead", edited.crm_id, {"Title": "VP Sales", "City": "Lisbon"})
    if not ctx.run("crm_sync", "acme"):
        return False
    ctx.echo(f"   app: prospect {edited.prospect_id} Title 'Head of Revenue', Phone '+1 415 555 0142' at "
             f"{app_edit_at:%H:%M}; CRM, an hour later: Lead {edited.crm_id} Title 'VP Sales', City 'Lisbon'")
    log = read_log(ctx.db, "acme", record=edited.prospect_id)
    conflict = log.loc[log["reason"].str.startswith("conflict_") & (log["field"] == "title")]
    if conflict.empty:
        ctx.echo("   no conflict was logged for the Title")
    else:
        row = conflict.iloc[-1]
        ctx.echo(f"   Title changed on both sides: {row['reason']}, {row['old_value']!r} -> {row['new_value']!r} "
                 f"({ctx.hint(f'log --tenant acme --record {edited.prospect_id}')})")
    after = read_app_table(ctx.db, "acme", "prospects").set_index("prospect_id").loc[edited.prospect_id]
    ctx.echo(f"   the app now: Title {after['title']!r}, City {after['city']!r} (the CRM's edit), "
             f"Phone {after['phone']!r} (its own edit, for the next push)")
    return edited


def rebuild_lists(ctx: DemoContext) -> bool:
    ctx.echo("\nThe daily list rebuild (auto-save lists), for every connected tenant")
    return _run_for_each(ctx, ctx.tenants, "auto_save_rebuild", "list rebuild", lambda t: _lists_saved(ctx, t))


def _lists_saved(ctx: DemoContext, tenant: Tenant) -> str:
    lists = read_lists(ctx.db, tenant.id)
    return (f"{lists['user_id'].nunique()} users, {int((lists['list'] == 'accounts').sum())} accounts and "
            f"{int((lists['list'] == 'leads_and_contacts').sum())} leads and contacts saved")


def push_every_tenant(ctx: DemoContext) -> bool:
    ctx.echo("\nThe outbound push (activity and touch Tasks, new Leads, field updates, campaigns), for every tenant")
    if not _run_for_each(ctx, ctx.tenants, "outbound_push", "push", lambda t: push_line(ctx, t), offset=ctx.offset):
        return False
    if not DeferralStore(ctx.db).open():
        return True
    ctx.echo("   the api_limit_backoff sensor resumes the deferred work once the window reopens:")
    ctx.offset = resume_deferred(ctx, ctx.offset + DAY_AND_A_BIT)
    waited = [t for t in ctx.tenants if t.settings.push.enabled and ledger_counts(ctx.db, t.id)["sent"] == 0]
    if waited:
        ctx.echo("   the push schedule's next slot, for the tenants whose push waited:")
        if not _run_for_each(ctx, waited, "outbound_push", "push", lambda t: push_line(ctx, t), offset=ctx.offset):
            return False
        if DeferralStore(ctx.db).open():
            ctx.offset = resume_deferred(ctx, ctx.offset + DAY_AND_A_BIT)
    return True


def show_the_lead_in_the_crm(ctx: DemoContext, edited: BothSides) -> None:
    lead = ctx.sim.org("acme").record("Lead", edited.crm_id)
    ctx.echo(f"   acme's Lead {edited.crm_id} in the CRM now: Title {lead['Title']!r} (the CRM's later edit), "
             f"Phone {lead['Phone']!r} (the app's edit), City {lead['City']!r} (the CRM's edit)")
