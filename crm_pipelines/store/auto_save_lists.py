"""The auto-save lists of one tenant, the log of their changes (L10) and each user's total saved
items (L12), read and written whole.

A rebuild replaces both lists of the tenant and the saved-item totals and appends its changes in
one transaction, so the lists a user sees, the reasons recorded for them and the totals never
disagree.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import false, select

from crm_pipelines.core.auto_save import CRM_COLUMNS, AutoSaveInputs, CrmFrames, needs_the_crm
from crm_pipelines.core.auto_save.frames import OPTIONAL_CRM_COLUMNS
from crm_pipelines.settings import Tenant
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.bulk import insert_frame, read_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import (
    auto_save_account_lists,
    auto_save_changes,
    auto_save_lead_lists,
    crm_tables,
    manual_list_overrides,
    matched_users,
    saved_item_totals,
)

LIST_TABLES = {"accounts": auto_save_account_lists, "leads_and_contacts": auto_save_lead_lists}
# The rebuild's CRM inputs (core's names) and the extracted objects they come from.
CRM_INPUTS = {
    "users": "User", "accounts": "Account", "account_team_members": "AccountTeamMember", "contacts": "Contact",
    "leads": "Lead", "opportunities": "Opportunity", "opportunity_contact_roles": "OpportunityContactRole",
}


def read_lists(db: Database, tenant_id: str) -> pd.DataFrame:
    """Both lists of the tenant as the rebuild takes them (rules as tuples of codes)."""
    with db.engine.connect() as conn:
        frames = [read_frame(conn, table, table.c.tenant_id == tenant_id, order_by=["user_id", "crm_id"])
                  for table in LIST_TABLES.values()]
    lists = pd.concat(frames, ignore_index=True).drop(columns=["tenant_id"])
    lists["rules"] = lists["rules"].map(lambda text: tuple(text.split(",")) if isinstance(text, str) and text else ())
    return lists[["user_id", "list", "crm_id", "record_type", "rules", "source", "added_at", "is_deleted"]]


def write_rebuild(db: Database, tenant_id: str, lists: pd.DataFrame, changes: pd.DataFrame,
                  saved_items: pd.DataFrame, *, counted_at: datetime, run_id: str | None) -> None:
    """Replace the tenant's lists with `lists` and its users' totals with `saved_items`
    (core.auto_save.saved_items), and append `changes`, atomically."""
    rows = lists.assign(tenant_id=tenant_id, rules=lists["rules"].map(lambda rules: ",".join(rules)))
    with db.transaction() as conn:
        for name, table in LIST_TABLES.items():
            conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
            insert_frame(conn, table, rows[rows["list"] == name], context=f"tenant '{tenant_id}', list {name}")
        conn.execute(saved_item_totals.delete().where(saved_item_totals.c.tenant_id == tenant_id))
        insert_frame(conn, saved_item_totals, saved_items.assign(tenant_id=tenant_id, counted_at=counted_at, run_id=run_id),
                     context=f"tenant '{tenant_id}', saved items")
        if len(changes):
            insert_frame(conn, auto_save_changes, changes.assign(tenant_id=tenant_id, run_id=run_id),
                         context=f"tenant '{tenant_id}', auto-save changes")


def read_saved_items(db: Database, tenant_id: str, *, user_id: str | None = None) -> pd.DataFrame:
    """The tenant's saved-item totals as the last rebuild counted them, one row per user."""
    where = saved_item_totals.c.tenant_id == tenant_id
    if user_id is not None:
        where = where & (saved_item_totals.c.user_id == user_id)
    with db.engine.connect() as conn:
        return read_frame(conn, saved_item_totals, where, order_by=["user_id"]).drop(columns=["tenant_id"])


def read_changes(db: Database, tenant_id: str, *, user_id: str | None = None, crm_id: str | None = None) -> pd.DataFrame:
    stmt = select(auto_save_changes).where(auto_save_changes.c.tenant_id == tenant_id)
    if user_id is not None:
        stmt = stmt.where(auto_save_changes.c.user_id == user_id)
    if crm_id is not None:
        stmt = stmt.where(auto_save_changes.c.crm_id == crm_id)
    with db.engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt.order_by(auto_save_changes.c.id)).mappings().all())


def load_inputs(db: Database, tenant: Tenant, *, rebuild_only: bool = False) -> AutoSaveInputs:
    """Everything one tenant's rebuild (or an `explain`) reads, from the warehouse and the app
    tables. With `rebuild_only` (the rebuild, not an `explain`), the CRM's tables are read only when
    the rebuild's outcome can depend on them (core.auto_save.needs_the_crm); otherwise their empty
    frames stand in, which give the same rebuild."""
    matches = read_tenant_partition(db, matched_users, tenant.id)[["user_id", "crm_user_id"]]
    previous = read_lists(db, tenant.id)
    crm = CrmFrames(**read_crm_inputs(db, tenant.id, rows=not rebuild_only or needs_the_crm(matches, previous)))
    return AutoSaveInputs(
        crm=crm,
        user_matches=matches,
        rule_selections=read_app_table(db, tenant.id, "auto_save_rule_selections"),
        previous_lists=previous,
        manual_overrides=read_app_table(db, tenant.id, "manual_list_overrides"),
        enabled=tenant.settings.auto_save.enabled,
        connected=tenant.status == "connected",
    )


def read_crm_inputs(db: Database, tenant_id: str, *, rows: bool = True) -> dict[str, pd.DataFrame]:
    """The tenant's extracted CRM tables the rebuild reads (CRM_INPUTS), each with only the columns
    the rules read (CRM_COLUMNS, and OPTIONAL_CRM_COLUMNS where the table has them), in key order:
    the names, addresses, mapped fields and the rest of a record are never loaded. Without `rows`,
    the same frames empty."""
    frames = {}
    with db.engine.connect() as conn:
        for name, sobject in CRM_INPUTS.items():
            table = crm_tables[sobject]
            wanted = [c for c in (*CRM_COLUMNS[name], *OPTIONAL_CRM_COLUMNS.get(name, ())) if c in table.c]
            where = table.c.tenant_id == tenant_id if rows else false()
            frames[name] = read_frame(conn, table, where, order_by=["id"], columns=wanted)
    return frames


def record_override(db: Database, tenant_id: str, user_id: str, list_name: str, action: str, crm_id: str,
                    at: datetime) -> None:
    """A user's manual add or removal (L7, L8), applied at the next rebuild and kept for good."""
    row = pd.DataFrame([{"tenant_id": tenant_id, "user_id": user_id, "list": list_name, "crm_id": crm_id,
                         "at": at, "action": action}])
    with db.transaction() as conn:
        insert_frame(conn, manual_list_overrides, row, context=f"tenant '{tenant_id}', manual list override")
