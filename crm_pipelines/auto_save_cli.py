"""`crm-pipelines lists ...`: the auto-save lists of a user — show, add, remove, explain (L7, L8, L10)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pandas as pd

from crm_pipelines.core.auto_save import explain as explain_item
from crm_pipelines.core.auto_save import override_problem
from crm_pipelines.refusals import refuse, tenant_or_refuse
from crm_pipelines.store.auto_save_lists import load_inputs, read_lists, read_saved_items, record_override

LIST_CHOICE = click.Choice(["accounts", "leads_and_contacts"])


@click.group()
def lists() -> None:
    """Each user's "My CRM Accounts" and "My CRM Leads and Contacts"."""


@lists.command("show")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--user", "user_id", required=True, help="The app user's id.")
@click.option("--list", "list_name", type=LIST_CHOICE, default=None, help="One list only.")
def show(tenant_id: str, user_id: str, list_name: str | None) -> None:
    """The user's list items as of the last rebuild, with the rules that hold each, and the user's
    total saved items (L12)."""
    db, tenant = tenant_or_refuse(tenant_id)
    rows = read_lists(db, tenant.id)
    rows = rows[rows["user_id"] == user_id]
    if list_name:
        rows = rows[rows["list"] == list_name]
    if rows.empty:
        click.echo(f"{user_id} has no list items in tenant {tenant.id}")
    for row in rows.sort_values(["list", "crm_id"]).itertuples():
        flag = " (deleted in the CRM)" if row.is_deleted else ""
        click.echo(f"{row.list:<18} {row.record_type:<8} {row.crm_id}  {','.join(row.rules):<12} "
                   f"{row.source:<6} added {row.added_at:%Y-%m-%d}{flag}")
    click.echo(_saved_items_line(read_saved_items(db, tenant.id, user_id=user_id)))


@lists.command("add")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--user", "user_id", required=True)
@click.option("--crm-id", required=True, help="The CRM Account's id.")
def add(tenant_id: str, user_id: str, crm_id: str) -> None:
    """Add an account the rules missed to the user's accounts list (L8); it counts toward the cap."""
    _override(tenant_id, user_id, "accounts", "add", crm_id)


@lists.command("remove")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--user", "user_id", required=True)
@click.option("--crm-id", required=True)
@click.option("--list", "list_name", type=LIST_CHOICE, default="accounts", show_default=True)
@click.option("--with-leads-and-contacts", is_flag=True, help="Also remove the account's leads and contacts.")
def remove(tenant_id: str, user_id: str, crm_id: str, list_name: str, with_leads_and_contacts: bool) -> None:
    """Remove an item for good: auto-save never adds it back (L7)."""
    action = "remove_with_leads_and_contacts" if with_leads_and_contacts else "remove"
    _override(tenant_id, user_id, list_name, action, crm_id)


@lists.command("explain")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--user", "user_id", required=True)
@click.option("--crm-id", required=True)
def explain(tenant_id: str, user_id: str, crm_id: str) -> None:
    """Why an item is on the user's list, or why it is not (L10)."""
    db, tenant = tenant_or_refuse(tenant_id)
    click.echo(explain_item(load_inputs(db, tenant), user_id, crm_id, datetime.now(UTC)).sentence)


def _saved_items_line(totals: pd.DataFrame) -> str:
    if totals.empty:
        return "saved items: none counted yet (the lists have not been rebuilt for this user)"
    t = totals.iloc[0]
    return (f"saved items: {t['saved_items']} (accounts {t['account_items']}, leads and contacts "
            f"{t['lead_and_contact_items']}; auto-saved {t['auto_items']}, added by hand {t['manual_items']}; "
            f"items deleted in the CRM not counted), counted {t['counted_at']:%Y-%m-%d %H:%M} UTC")


def _override(tenant_id: str, user_id: str, list_name: str, action: str, crm_id: str) -> None:
    db, tenant = tenant_or_refuse(tenant_id)
    inputs = load_inputs(db, tenant)
    problem = override_problem(inputs.crm, list_name, action, crm_id)
    if problem is None and user_id not in set(inputs.user_matches["user_id"]):
        problem = f"user {user_id!r} is not matched to a CRM user in tenant {tenant.id}, so has no lists (L1)"
    if problem:
        refuse(problem)
    record_override(db, tenant.id, user_id, list_name, action, crm_id, datetime.now(UTC))
    click.echo(f"{tenant.id}: {action} {crm_id} on {user_id}'s {list_name} list, applied at the next rebuild")
