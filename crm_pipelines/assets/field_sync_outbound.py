"""App → CRM field changes, planned at push time (in the `outbound` group): the app as it is when
the push runs, against the CRM as the last sync extracted it and the base both last agreed on
(three-way, F3). So an app edit made after the last sync goes out at the next push, and a CRM edit
the last sync extracted is never reverted by it. The push plans (P3, P5, P6, P7) read these rows;
delivery sends and logs them and stores what the CRM accepted as the new base."""

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, asset

from crm_pipelines.assets.matching import PEOPLE_ONLY
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.field_sync import CHANGE_COLUMNS, sync_campaigns, sync_prospects
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.core.field_sync.changed_ranges import Seen
from crm_pipelines.core.field_sync.prospect_sync import ProspectSync
from crm_pipelines.exchange.changed_ranges import (
    Comparison, fingerprint, frame_digest, plan_comparison, store_comparison,
)
from crm_pipelines.exchange.prospect_ranges import (
    PLACE_COLUMNS, AppProspects, OrgPeople, Placement, org_people, ranged_prospect_sync, read_whole_org,
    sync_range_records,
)
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.app_data import read_app_table, read_prospect_hashes
from crm_pipelines.store.crm_field_changes import read_field_changes
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.store.field_sync_marks import forget_marks, read_marks
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.tables import metadata
from crm_pipelines.settings import TenantSettings
from crm_pipelines.store.database import Database
from crm_pipelines.store.resource import DatabaseResource

ASSET = "outbound_field_changes"
OUTBOUND_COLUMNS = ("position", *[c for c in CHANGE_COLUMNS if c != "direction"])


@asset(
    partitions_def=tenant_partitions, io_manager_key="tenant_io_manager", group_name="outbound",
    kinds={"python", "sql"}, owners=OWNERS, code_version="1",
    deps=[AssetKey("synced_prospects"), AssetKey("synced_campaigns"), AssetKey("crm_records_before_push")],
    ins={"matched_prospects": AssetIn(), "crm_leads": PEOPLE_ONLY, "crm_contacts": PEOPLE_ONLY,
         "crm_campaigns": AssetIn()},
)
def outbound_field_changes(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                           matched_prospects: pd.DataFrame, crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame,
                           crm_campaigns: pd.DataFrame) -> pd.DataFrame:
    """What the CRM should receive from the app now, one row per field of one record: push mappings,
    and two-way fields the app changed since the base (on both sides: the later change wins, F3) or,
    for a pair never synced, where the app record is newer (empty app values only when the tenant
    allows it, F4.5), new Leads for complete prospects unknown to the CRM (F7) and new Campaigns
    (F6). Computed at push time from the app's tables, the last extracted CRM records and the last
    matching. Empty when the tenant's `push.app_to_crm` switch is off (S4). On a run after the
    first, the prospects' side compares only the key ranges that changed since, and those holding
    a prospect the last output planned something for (exchange.changed_ranges)."""
    db, tenant = database.db(), database.partition_tenant(context)
    settings = tenant.settings
    if not settings.push.app_to_crm:
        forget_marks(db, tenant.id, ASSET)
        context.add_output_metadata({"app_to_crm": "off (S4 push.app_to_crm): nothing to send", "changes": 0})
        return _outbound_rows(concat_changes([]))
    prospects, marks = _prospect_sync(db, tenant.id, settings, clock.now(), matched_prospects, crm_leads, crm_contacts)
    campaigns = sync_campaigns(read_app_table(db, tenant.id, "app_campaigns"), crm_campaigns,
                               mappings=settings.field_mappings, settings=settings.connector,
                               base=read_base(db, tenant.id, "campaign"),
                               crm_field_times=read_field_changes(db, tenant.id, "Campaign"))
    rows = _outbound_rows(concat_changes([prospects.outbound, campaigns.outbound]))
    if marks is not None:
        # Stored before the rows are: the next run compares everything unless the output it finds
        # stored is these rows (the digest), so a run whose output is lost leaves nothing pending behind.
        marks.store(db, tenant.id, _digest(rows))
    context.add_output_metadata({
        **(marks.metadata if marks is not None else {"comparison": "everything: ranges are off"}),
        "app_to_crm": "on", "changes": len(rows), "records": int(rows["app_id"].nunique()),
        **counts_by(rows, "reason", prefix="reason_"),
        "preview": markdown_table(rows.drop(columns=["position", "at"])),
    })
    return rows


@dataclass(frozen=True)
class _Marks:
    comparison: Comparison
    metadata: dict[str, object]

    def store(self, db: Database, tenant_id: str, digest: str) -> None:
        store_comparison(db, tenant_id, ASSET, self.comparison.with_output(digest))


def _prospect_sync(db: Database, tenant_id: str, settings: TenantSettings, started: datetime,
                   matched_prospects: pd.DataFrame, crm_leads: pd.DataFrame,
                   crm_contacts: pd.DataFrame) -> tuple[ProspectSync, _Marks | None]:
    """The prospects' side, a key range of CRM ids at a time (issue 17) unless ranges are off, and
    only the ranges that changed since the last run (with the marks to store); of the app's
    prospects only their places and the store's hash of each row are held whole, the rows read a
    range at a time."""
    range_records = sync_range_records()
    if range_records > 0:
        org = org_people(crm_leads, crm_contacts, range_records)
        places = read_prospect_hashes(db, tenant_id, PLACE_COLUMNS)
        placement = Placement.of(org, matched_prospects, places)
        comparison = _comparison(db, tenant_id, settings, started, org, matched_prospects, places, placement)
        sync = ranged_prospect_sync(db, tenant_id, org, matched_prospects, AppProspects(places, (db, tenant_id)),
                                    mappings=settings.field_mappings, settings=settings.connector,
                                    with_skipped=False, outbound_only=True, only=comparison.only, placement=placement)
        return sync, _Marks(comparison, comparison.metadata(org))
    forget_marks(db, tenant_id, ASSET)
    prospects = read_app_table(db, tenant_id, "prospects")
    crm_leads, crm_contacts = read_whole_org(db, tenant_id)
    return sync_prospects(matched_prospects, prospects, crm_leads, crm_contacts, mappings=settings.field_mappings,
                          settings=settings.connector, base=read_base(db, tenant_id, "prospect"),
                          crm_field_times=read_field_changes(db, tenant_id)), None


def _comparison(db: Database, tenant_id: str, settings: TenantSettings, started: datetime, org: OrgPeople,
                matched_prospects: pd.DataFrame, prospects: pd.DataFrame, placement: Placement) -> Comparison:
    """The ranges to compare: every prospect the stored output plans something for among them
    (sent or not, so nothing pending is dropped), and base rows the sync's last commit stored
    left out (values both sides already share, which plan nothing either way). `prospects`: the
    places and row hashes of the app's prospects (app_data.read_prospect_hashes)."""
    previous = read_tenant_partition(db, metadata.tables[ASSET], tenant_id)
    planned = previous.loc[previous["object"] == "prospect", "app_id"].astype("string").unique().tolist()
    sync_marks = read_marks(db, tenant_id, "synced_prospects")
    return plan_comparison(db, tenant_id, ASSET, org, prospects, matched_prospects, placement,
                           fingerprint=fingerprint(settings), started_at=started, run_id=None,
                           named=planned, base_written_at=None if sync_marks is None else sync_marks.committed_at,
                           output_digest=_digest(previous),
                           created_after_matching=None if sync_marks is None else Seen.created_in(sync_marks.seen))


def _digest(rows: pd.DataFrame) -> str:
    """The rows' digest, as written and as read back: in position order, without their time."""
    ordered = rows.sort_values("position") if "position" in rows.columns else rows
    return frame_digest(ordered[[c for c in OUTBOUND_COLUMNS if c not in ("position", "at")]])


def _outbound_rows(changes: pd.DataFrame) -> pd.DataFrame:
    rows = changes.drop(columns=["direction"]).reset_index(drop=True)
    rows.insert(0, "position", pd.Series(range(len(rows)), dtype="Int64"))
    return rows[list(OUTBOUND_COLUMNS)]
