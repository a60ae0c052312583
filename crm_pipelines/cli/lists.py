"""`crm-pipelines lists ...`: the auto-save lists of a user — show, history, add, remove, explain (L7, L8, L10)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from crm_pipelines.cli.options import add_json, command_group, tenant_action
from crm_pipelines.cli.output import Column, echo, json_rows, not_found, print_json, print_table, refuse
from crm_pipelines.cli.tenants import open_tenant

LISTS = ("accounts", "leads_and_contacts")
COLUMNS = (
    Column("list", "list"), Column("record_type", "type"), Column("crm_id", "crm id"), Column("rules", "rules"),
    Column("source", "source"), Column("added_at", "added", format="%Y-%m-%d"), Column("note", "", flexible=True),
)


def _known_user(db, tenant_id: str, user_id: str) -> None:  # type: ignore[no-untyped-def]
    from crm_pipelines.store.app_data import app_record_exists

    if not app_record_exists(db, tenant_id, "user", user_id):
        not_found(f"tenant '{tenant_id}' has no user '{user_id}' (app user ids look like u-001)")


def show_lists(args: argparse.Namespace) -> None:
    from crm_pipelines.store.auto_save_lists import read_lists, read_saved_items

    db, tenant = open_tenant(args.tenant_id)
    _known_user(db, tenant.id, args.user_id)
    frame = read_lists(db, tenant.id)
    frame = frame[frame["user_id"] == args.user_id]
    if args.list_name:
        frame = frame[frame["list"] == args.list_name]
    rows: list[dict[str, Any]] = [
        {**row, "rules": ",".join(row["rules"]), "note": "not in the CRM data yet" if row["is_deleted"] else ""}
        for row in frame.sort_values(["list", "crm_id"]).to_dict("records")]
    totals = read_saved_items(db, tenant.id, user_id=args.user_id)
    if args.json:
        print_json({"items": json_rows({k: v for k, v in r.items() if k not in ("note", "tenant_id")} for r in rows),
                    "saved_items": json_rows(totals.to_dict("records"))[0] if not totals.empty else None})
        return
    if rows:
        print_table(rows, COLUMNS)
    else:
        echo(f"{args.user_id} has no list items in tenant {tenant.id}")
    echo(_saved_items_line(totals))


HISTORY_COLUMNS = (
    Column("at", "rebuilt", format="%Y-%m-%d %H:%M"), Column("list", "list"), Column("record_type", "type"),
    Column("crm_id", "crm id"), Column("change", "change"), Column("reason", "why", flexible=True),
)


def show_history(args: argparse.Namespace) -> None:
    """What each rebuild added to and removed from the user's lists, and why (L10), oldest first."""
    from crm_pipelines.store.auto_save_lists import read_changes

    db, tenant = open_tenant(args.tenant_id)
    _known_user(db, tenant.id, args.user_id)
    changes = read_changes(db, tenant.id, user_id=args.user_id, crm_id=args.crm_id)
    if args.list_name and len(changes):
        changes = changes[changes["list"] == args.list_name]
    rows = changes.drop(columns=["id", "tenant_id", "run_id"], errors="ignore").to_dict("records")
    if args.json:
        print_json({"changes": json_rows(rows)})
    elif rows:
        print_table(rows, HISTORY_COLUMNS)
    else:
        echo(f"no list changes recorded for {args.user_id} in tenant {tenant.id}")


def _saved_items_line(totals) -> str:  # type: ignore[no-untyped-def]
    if totals.empty:
        return "saved items: none counted yet (the lists have not been rebuilt for this user)"
    t = totals.iloc[0]
    return (f"saved items: {t['saved_items']} (accounts {t['account_items']}, leads and contacts "
            f"{t['lead_and_contact_items']}; auto-saved {t['auto_items']}, added by hand {t['manual_items']}; "
            f"items not in the CRM data yet not counted), counted {t['counted_at']:%Y-%m-%d %H:%M} UTC")


def explain(args: argparse.Namespace) -> None:
    from crm_pipelines.core.auto_save import explain as explain_item
    from crm_pipelines.store.auto_save_lists import load_inputs

    db, tenant = open_tenant(args.tenant_id)
    sentence = explain_item(load_inputs(db, tenant), args.user_id, args.crm_id, datetime.now(UTC)).sentence
    if args.json:
        print_json({"tenant": tenant.id, "user_id": args.user_id, "crm_id": args.crm_id, "explanation": sentence})
    else:
        echo(sentence)


def add(args: argparse.Namespace) -> None:
    _override(args.tenant_id, args.user_id, "accounts", "add", args.crm_id)


def remove(args: argparse.Namespace) -> None:
    action = "remove_with_leads_and_contacts" if args.with_leads_and_contacts else "remove"
    _override(args.tenant_id, args.user_id, args.list_name, action, args.crm_id)


def _override(tenant_id: str, user_id: str, list_name: str, action: str, crm_id: str) -> None:
    from crm_pipelines.core.auto_save import override_problem
    from crm_pipelines.store.auto_save_lists import load_inputs, record_override

    db, tenant = open_tenant(tenant_id)
    inputs = load_inputs(db, tenant)
    problem = override_problem(inputs.crm, list_name, action, crm_id)
    if problem is None and user_id not in set(inputs.user_matches["user_id"]):
        problem = f"user {user_id!r} is not matched to a CRM user in tenant {tenant.id}, so has no lists (L1)"
    if problem:
        refuse(problem)
    record_override(db, tenant.id, user_id, list_name, action, crm_id, datetime.now(UTC))
    echo(f"{tenant.id}: {action} {crm_id} on {user_id}'s {list_name} list, applied at the next rebuild")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "lists", 'Each user\'s "My CRM Accounts" and "My CRM Leads and Contacts".')

    def user_command(name: str, help_text: str, *, crm_id: bool = True) -> argparse.ArgumentParser:
        p = tenant_action(sub, parent, name, help_text)
        p.add_argument("--user", dest="user_id", required=True, help="The app user's id, e.g. u-001.")
        if crm_id:
            p.add_argument("--crm-id", required=True, help="The CRM record's id.")
        return p

    p = user_command("show", "The user's list items as of the last rebuild, with the rules that hold each, "
                             "and the user's total saved items (L12).", crm_id=False)
    p.add_argument("--list", dest="list_name", choices=LISTS, default=None, help="One list only.")
    add_json(p)
    p.set_defaults(run=show_lists)

    p = user_command("history", "What each rebuild added to and removed from the user's lists, and why (L10): "
                                "rules, manual actions, the cap, conversions, records deleted in the CRM.",
                     crm_id=False)
    p.add_argument("--crm-id", default=None, help="One record only.")
    p.add_argument("--list", dest="list_name", choices=LISTS, default=None, help="One list only.")
    add_json(p)
    p.set_defaults(run=show_history)

    p = user_command("add", "Add an account the rules missed to the user's accounts list (L8); it counts toward the cap.")
    p.set_defaults(run=add)

    p = user_command("remove", "Remove an item for good: auto-save never adds it back (L7).")
    p.add_argument("--list", dest="list_name", choices=LISTS, default="accounts", help="The list (default accounts).")
    p.add_argument("--with-leads-and-contacts", action="store_true", help="Also remove the account's leads and contacts.")
    p.set_defaults(run=remove)

    p = user_command("explain", "Why an item is on the user's list, or why it is not (L10).")
    add_json(p)
    p.set_defaults(run=explain)
