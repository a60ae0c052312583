"""Small questions to the warehouse: whether it holds a CRM record (to refuse a manual match to an
id nobody has seen), which Leads are converted (nothing is pushed to those, X5), and which records
it holds as deleted in the CRM (never pushed to either, E3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import select

from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import crm_tables


def crm_record_type(db: Database, tenant_id: str, sobjects: Sequence[str], crm_id: str) -> str | None:
    """The first of `sobjects` (Salesforce names) whose extracted rows for the tenant hold `crm_id`,
    deleted or not; None when none does."""
    with db.engine.connect() as conn:
        for sobject in sobjects:
            table = crm_tables[sobject]
            if conn.execute(select(table.c.id).where(table.c.tenant_id == tenant_id, table.c.id == crm_id)).first():
                return sobject
    return None


def read_converted_leads(db: Database, tenant_id: str) -> pd.DataFrame:
    """The tenant's extracted Leads that are converted: id, is_converted, is_deleted,
    converted_contact_id (the columns core.outbound.converted_leads reads)."""
    leads = crm_tables["Lead"]
    columns = [leads.c.id, leads.c.is_converted, leads.c.is_deleted, leads.c.converted_contact_id]
    with db.engine.connect() as conn:
        rows = conn.execute(select(*columns).where(leads.c.tenant_id == tenant_id, leads.c.is_converted.is_(True)))
        return pd.DataFrame(rows.all(), columns=[c.name for c in columns])


# The objects the app's pushes update or hang Tasks on.
_PUSH_TARGETS = ("Lead", "Contact", "Account", "Opportunity", "Campaign")
# Up to this many ids, each table is asked for them by its key (a lookup each); beyond, for the
# tenant's deleted ids, intersected here: with thousands of ids in the list the database scans the
# table anyway, once per statement (a seeded delivery's 30,000 targets: 13 s at medium).
_IDS_BY_KEY = 500


def deleted_crm_ids(db: Database, tenant_id: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` the warehouse holds as deleted in the tenant's CRM (E3)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    if not wanted:
        return found
    with db.engine.connect() as conn:
        for sobject in _PUSH_TARGETS:
            table = crm_tables[sobject]
            deleted = select(table.c.id).where(table.c.tenant_id == tenant_id, table.c.is_deleted.is_(True))
            if len(wanted) > _IDS_BY_KEY:
                found.update(set(conn.execute(deleted).scalars()) & set(wanted))
            else:
                found.update(conn.execute(deleted.where(table.c.id.in_(wanted))).scalars())
    return found
