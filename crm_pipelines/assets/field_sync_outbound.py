"""App → CRM field changes, planned at push time (in the `outbound` group): the app as it is when
the push runs, against the CRM as the last sync extracted it and the base both last agreed on
(three-way, F3). So an app edit made after the last sync goes out at the next push, and a CRM edit
the last sync extracted is never reverted by it. The push plans (P3, P5, P6, P7) read these rows;
delivery sends and logs them and stores what the CRM accepted as the new base."""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, asset

from crm_pipelines.assets.matching import PEOPLE_ONLY
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.core.field_sync import CHANGE_COLUMNS, sync_campaigns, sync_prospects
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.core.field_sync.prospect_sync import ProspectSync
from crm_pipelines.exchange.prospect_ranges import (
    AppProspects, org_people, ranged_prospect_sync, read_whole_org, sync_range_records,
)
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.crm_field_changes import read_field_changes
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.settings import TenantSettings
from crm_pipelines.store.database import Database
from crm_pipelines.store.resource import DatabaseResource

OUTBOUND_COLUMNS = ("position", *[c for c in CHANGE_COLUMNS if c != "direction"])


@asset(
    partitions_def=tenant_partitions, io_manager_key="tenant_io_manager", group_name="outbound",
    kinds={"python", "sql"}, owners=OWNERS, code_version="1",
    deps=[AssetKey("synced_prospects"), AssetKey("synced_campaigns"), AssetKey("crm_records_before_push")],
    ins={"matched_prospects": AssetIn(), "crm_leads": PEOPLE_ONLY, "crm_contacts": PEOPLE_ONLY,
         "crm_campaigns": AssetIn()},
)
def outbound_field_changes(context: AssetExecutionContext, database: DatabaseResource, matched_prospects: pd.DataFrame,
                           crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame,
                           crm_campaigns: pd.DataFrame) -> pd.DataFrame:
    """What the CRM should receive from the app now, one row per field of one record: push mappings,
    and two-way fields the app changed since the base (on both sides: the later change wins, F3) or,
    for a pair never synced, where the app record is newer (empty app values only when the tenant
    allows it, F4.5), new Leads for complete prospects unknown to the CRM (F7) and new Campaigns
    (F6). Computed at push time from the app's tables, the last extracted CRM records and the last
    matching. Empty when the tenant's `push.app_to_crm` switch is off (S4)."""
    db, tenant = database.db(), database.partition_tenant(context)
    settings = tenant.settings
    if not settings.push.app_to_crm:
        context.add_output_metadata({"app_to_crm": "off (S4 push.app_to_crm): nothing to send", "changes": 0})
        return _outbound_rows(concat_changes([]))
    prospects = _prospect_sync(db, tenant.id, settings, matched_prospects, crm_leads, crm_contacts)
    campaigns = sync_campaigns(read_app_table(db, tenant.id, "app_campaigns"), crm_campaigns,
                               mappings=settings.field_mappings, settings=settings.connector,
                               base=read_base(db, tenant.id, "campaign"),
                               crm_field_times=read_field_changes(db, tenant.id, "Campaign"))
    rows = _outbound_rows(concat_changes([prospects.outbound, campaigns.outbound]))
    context.add_output_metadata({
        "app_to_crm": "on", "changes": len(rows), "records": int(rows["app_id"].nunique()),
        **counts_by(rows, "reason", prefix="reason_"),
        "preview": markdown_table(rows.drop(columns=["position", "at"])),
    })
    return rows


def _prospect_sync(db: Database, tenant_id: str, settings: TenantSettings, matched_prospects: pd.DataFrame,
                   crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame) -> ProspectSync:
    """The prospects' side, a key range of CRM ids at a time (issue 17) unless ranges are off; the
    app's prospects too are read a range at a time then, never held whole."""
    range_records = sync_range_records()
    if range_records > 0:
        return ranged_prospect_sync(db, tenant_id, org_people(crm_leads, crm_contacts, range_records),
                                    matched_prospects, AppProspects.stored(db, tenant_id),
                                    mappings=settings.field_mappings, settings=settings.connector,
                                    with_skipped=False, outbound_only=True)
    prospects = read_app_table(db, tenant_id, "prospects")
    crm_leads, crm_contacts = read_whole_org(db, tenant_id)
    return sync_prospects(matched_prospects, prospects, crm_leads, crm_contacts, mappings=settings.field_mappings,
                          settings=settings.connector, base=read_base(db, tenant_id, "prospect"),
                          crm_field_times=read_field_changes(db, tenant_id))


def _outbound_rows(changes: pd.DataFrame) -> pd.DataFrame:
    rows = changes.drop(columns=["direction"]).reset_index(drop=True)
    rows.insert(0, "position", pd.Series(range(len(rows)), dtype="Int64"))
    return rows[list(OUTBOUND_COLUMNS)]
