"""How many rows a tenant's partition of an asset holds: the `dagster/row_count` of its materializations.

Most assets keep their partition in the table of the same name. The others write into tables
named otherwise (the field sync writes the app's tables, the sync chain's gates its state), and
the read before a push refreshes three CRM tables; `ROW_TABLES` names those. One count query per
materialization, whatever the table's size.
"""

from __future__ import annotations

from sqlalchemy import func, select

from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import metadata

TENANT_COLUMN = "tenant_id"

# The table(s) an asset's rows live in, where the asset has no table of its own name.
ROW_TABLES: dict[str, tuple[str, ...]] = {
    "crm_extraction_complete": ("extract_cursors",),
    "crm_sync_completed": ("sync_chains",),
    "crm_sync_ready_for_push": ("sync_chains",),
    "synced_prospects": ("prospects",),
    "synced_companies": ("companies",),
    "synced_campaigns": ("app_campaigns",),
    "synced_opportunities": ("app_opportunities",),
    "synced_field_labels": ("app_field_labels",),
    "cadence_workflow_actions": ("workflow_actions_applied",),
    "crm_records_before_push": ("crm_leads", "crm_contacts", "crm_campaigns"),
}


def tables_of(asset: str) -> tuple[str, ...]:
    names = ROW_TABLES.get(asset, (asset,))
    missing = [n for n in names if n not in metadata.tables or TENANT_COLUMN not in metadata.tables[n].c]
    if missing:
        raise KeyError(f"asset '{asset}': no tenant-partitioned table {', '.join(missing)} in crm_pipelines.store.tables")
    return names


def partition_rows(db: Database, asset: str, tenant_id: str) -> int:
    """The rows of `tenant_id` in the table(s) holding `asset`, in one query."""
    counts = [select(func.count()).select_from(metadata.tables[name])
              .where(metadata.tables[name].c[TENANT_COLUMN] == tenant_id).scalar_subquery()
              for name in tables_of(asset)]
    total = counts[0] if len(counts) == 1 else sum(counts[1:], counts[0])
    with db.engine.connect() as conn:
        return int(conn.execute(select(total)).scalar_one())


def row_count(db: Database, asset: str, tenant_id: str) -> dict[str, int]:
    """The `dagster/row_count` metadata entry of a materialization of `asset` for `tenant_id`."""
    return {"dagster/row_count": partition_rows(db, asset, tenant_id)}
