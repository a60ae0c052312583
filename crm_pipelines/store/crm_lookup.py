"""Whether the warehouse holds a CRM record, for refusing a manual match to an id nobody has seen."""

from __future__ import annotations

from collections.abc import Sequence

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
