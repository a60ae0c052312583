"""The `field_sync` group, app → CRM: the changes the CRM should receive, computed after the
inbound changes are applied and stored for the outbound push, which sends and logs them."""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, asset

from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.core.field_sync import CHANGE_COLUMNS, sync_campaigns, sync_prospects
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.resource import DatabaseResource

OUTBOUND_COLUMNS = ("position", *[c for c in CHANGE_COLUMNS if c != "direction"])


@asset(
    partitions_def=tenant_partitions, io_manager_key="tenant_io_manager", group_name="field_sync",
    kinds={"python", "sql"}, owners=["team:data-engineering"], code_version="1",
    deps=[AssetKey("synced_prospects"), AssetKey("synced_campaigns")],
    ins={"matched_prospects": AssetIn(), "crm_leads": AssetIn(), "crm_contacts": AssetIn(), "crm_campaigns": AssetIn()},
)
def outbound_field_changes(context: AssetExecutionContext, database: DatabaseResource, matched_prospects: pd.DataFrame,
                           crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame,
                           crm_campaigns: pd.DataFrame) -> pd.DataFrame:
    """What the CRM should receive from the app, one row per field of one record: push and two-way
    mappings where the app is newer (F3; empty app values only when the tenant allows it, F4.5),
    new Leads for complete prospects unknown to the CRM (F7) and new Campaigns (F6). Computed here,
    sent by the outbound push. Empty when the tenant's `push.app_to_crm` switch is off (S4)."""
    db, tenant = database.db(), database.tenants().get(context.partition_key)
    settings = tenant.settings
    if not settings.push.app_to_crm:
        context.add_output_metadata({"app_to_crm": "off (S4 push.app_to_crm): nothing to send", "changes": 0})
        return _outbound_rows(concat_changes([]))
    prospects = sync_prospects(matched_prospects, read_app_table(db, tenant.id, "prospects"), crm_leads, crm_contacts,
                               mappings=settings.field_mappings, settings=settings.connector)
    campaigns = sync_campaigns(read_app_table(db, tenant.id, "app_campaigns"), crm_campaigns,
                               mappings=settings.field_mappings, settings=settings.connector)
    rows = _outbound_rows(concat_changes([prospects.outbound, campaigns.outbound]))
    context.add_output_metadata({
        "app_to_crm": "on", "changes": len(rows), "records": int(rows["app_id"].nunique()),
        **counts_by(rows, "reason", prefix="reason_"),
        "preview": markdown_table(rows.drop(columns=["position", "at"])),
    })
    return rows


def _outbound_rows(changes: pd.DataFrame) -> pd.DataFrame:
    rows = changes.drop(columns=["direction"]).reset_index(drop=True)
    rows.insert(0, "position", pd.Series(range(len(rows)), dtype="Int64"))
    return rows[list(OUTBOUND_COLUMNS)]
