"""`crm-pipelines match confirm`: manual match overrides (X3)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from crm_pipelines.cli.options import command_group, tenant_action
from crm_pipelines.cli.output import echo, not_found, refuse
from crm_pipelines.cli.tenants import open_tenant

MATCH_OBJECTS = {"user": ("User",), "prospect": ("Contact", "Lead"), "company": ("Account",)}


def confirm(args: argparse.Namespace) -> None:
    from crm_pipelines.store.app_data import app_record_exists, confirm_match
    from crm_pipelines.store.crm_lookup import crm_record_type

    chosen = [(entity, app_id) for entity, app_id in
              (("prospect", args.prospect_id), ("user", args.user_id), ("company", args.company_id)) if app_id is not None]
    if len(chosen) != 1:
        refuse("name exactly one app record: --prospect ID, --user ID or --company ID")
    entity, app_id = chosen[0]
    database, tenant = open_tenant(args.tenant_id)
    if not app_record_exists(database, tenant.id, entity, app_id):  # type: ignore[arg-type]
        not_found(f"tenant '{tenant.id}' has no {entity} '{app_id}'")
    crm_type = crm_record_type(database, tenant.id, MATCH_OBJECTS[entity], args.crm_id)
    if crm_type is None:
        not_found(f"tenant '{tenant.id}' has no extracted CRM {' or '.join(MATCH_OBJECTS[entity])} '{args.crm_id}' "
                  "(run the CRM sync first if it is new)")
    confirm_match(database, tenant.id, entity, app_id, args.crm_id, datetime.now(UTC))  # type: ignore[arg-type]
    echo(f"{tenant.id}: {entity} {app_id} is {crm_type} {args.crm_id} from the next sync on (manual match)")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "match", "Manual match overrides (X3).")
    p = tenant_action(sub, parent, "confirm",
                      "Mark a CRM record as the correct match of an app record; it wins over every automatic "
                      "match from the next sync on, and every rebuild keeps it.")
    p.add_argument("--prospect", dest="prospect_id", default=None, help="An app prospect id.")
    p.add_argument("--user", dest="user_id", default=None, help="An app user id.")
    p.add_argument("--company", dest="company_id", default=None, help="An app company id.")
    p.add_argument("--crm-id", required=True, help="The CRM record it is: a Lead or Contact, a User, an Account.")
    p.set_defaults(run=confirm)
