"""The demo's closing table: per tenant, what was extracted, matched, logged, listed and pushed,
the API calls against the limit, and the runs, deferrals and resumptions it took."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from crm_pipelines.cli.output import Column, table_lines
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.demo.context import DemoContext
from crm_pipelines.settings import Tenant
from crm_pipelines.store.api_budget import busiest_window
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.database import Database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import ledger_counts
from crm_pipelines.store.tables import api_calls, metadata

COLUMNS = tuple(Column(key, heading, right=key not in ("tenant", "crm")) for key, heading in (
    ("tenant", "tenant"), ("crm", "CRM"), ("records", "records"), ("accounts", "accounts"), ("contacts", "contacts"),
    ("leads", "leads"), ("calls", "API calls"), ("most", "most/24h"), ("limit", "limit/day"), ("runs", "runs"),
    ("deferrals", "deferrals"), ("resumed", "resumed"), ("users", "users"), ("prospects", "prospects"),
    ("companies", "companies"), ("log", "log changes"), ("list_items", "list items"), ("pushed", "pushed"),
    ("refused", "refused"),
))


def push_line(ctx: DemoContext, tenant: Tenant) -> str:
    if not tenant.settings.push.enabled:
        return "pushes are off (push.enabled=false): nothing sent"
    counts = ledger_counts(ctx.db, tenant.id)
    deferred = DeferralStore(ctx.db).open(tenant.id, job="outbound_push")
    line = (f"{counts['sent']} records in the CRM, {counts['failed']} refused by it "
            f"(see {ctx.hint(f'push status --tenant {tenant.id}')})")
    if deferred:
        line += f"; API budget ran out, the rest deferred until {deferred[0].resume_at:%Y-%m-%d %H:%M} UTC"
    return line


def calls_ever(db: Database, tenant_id: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(api_calls.c.calls), 0))
                                .where(api_calls.c.tenant_id == tenant_id)).scalar_one())


def tenant_row(ctx: DemoContext, t: Tenant) -> dict[str, Any]:
    db = ctx.db
    counts = {obj.name: len(read_records(db, obj, t.id)) for obj in CRM_OBJECTS}
    matched = {name: len(read_tenant_partition(db, metadata.tables[f"matched_{name}"], t.id))
               for name in ("users", "prospects", "accounts")}
    story, pushes = ctx.stories[t.id], ledger_counts(db, t.id)
    return {
        "tenant": t.id, "crm": t.connection.kind, "records": sum(counts.values()), "accounts": counts["Account"], "contacts": counts["Contact"],
        "leads": counts["Lead"], "calls": calls_ever(db, t.id), "most": busiest_window(db, t.id),
        "limit": t.settings.api_budget.daily_limit, "runs": story.runs, "deferrals": DeferralStore(db).count(t.id),
        "resumed": story.resumed, "users": matched["users"], "prospects": matched["prospects"],
        "companies": matched["accounts"], "log": len(read_log(db, t.id)), "list_items": len(read_lists(db, t.id)),
        "pushed": pushes["sent"], "refused": pushes["failed"],
    }


def print_summary(ctx: DemoContext) -> None:
    # Kept whole whatever the terminal's width: every column is a number the legend explains.
    header, *lines = table_lines([tenant_row(ctx, t) for t in ctx.tenants], COLUMNS, width=10_000)
    ctx.echo(header)
    ctx.echo("-" * len(header))
    for line in lines:
        ctx.echo(line)
    ctx.echo("CRM: the tenant's CRM, Salesforce or Insightly (one record a call, so more calls for the same pushes)")
    ctx.echo("API calls: over every day of the demo (its clock moves a day at a time); most/24h: the most in any "
             "24 hours, which the tenant's daily limit holds")
    ctx.echo(f"users, prospects, companies: app records matched to CRM records; log changes: connector-log rows "
             f"(see {ctx.hint('log --tenant acme')}); list items: auto-save list entries of all users; "
             f"pushed, refused: CRM records the outbound push created or updated, and those the CRM refused "
             f"({ctx.hint('push status --tenant globex')})")
