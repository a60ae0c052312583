"""The `field_sync` group, CRM → app: the inbound changes each sync applies to the app's tables,
under the tenant's mappings (F2) and connector settings (F4), each change logged (F8).

Every sync compares the linked pairs of records, field by field against the value both sides
last agreed on (three-way, F3; the newer record wins for a pair never synced before), so a missed
or failed run loses nothing: the next one finds the same differences (the prospects' sync, after
its first run, compares only the pairs that can have changed since: exchange.changed_ranges). Applying is idempotent, and
the new base values commit with the changes that made them shared. With the tenant's
`sync.crm_to_app` switch off (S4) these assets apply nothing and say so; they still record the
values both sides already share as the base.
"""

from dataclasses import replace
from datetime import datetime

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, MaterializeResult, MetadataValue, asset

from crm_pipelines.assets.app import APP_ASSET_KEYS
from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.assets.matching import PEOPLE_ONLY
from crm_pipelines.assets.report_tables import markdown_table
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.assets.sync_chain import EXTRACTION_GATE
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.field_sync import (
    apply_campaign_changes,
    apply_company_changes,
    apply_inbound_changes,
    apply_label_changes,
    company_changes,
    connector_log_rows,
    label_changes,
    log_summary,
    sync_campaigns,
    sync_prospects,
)
from crm_pipelines.core.field_sync.base import already_agreed
from crm_pipelines.core.matching import company_of_account
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.exchange.changed_ranges import (
    fingerprint, frame_digest, marks_with_created, plan_comparison, sorted_rows,
)
from crm_pipelines.exchange.opportunity_ranges import OPPORTUNITY_PLACES, sync_opportunity_ranges
from crm_pipelines.exchange.prospect_creation import create_prospects_in_chunks, creation_chunk_rows
from crm_pipelines.exchange.prospect_ranges import (
    PLACE_COLUMNS, AppProspects, Placement, applied_rows, org_people, ranged_prospect_sync, read_whole_org,
    sync_range_records,
)
from crm_pipelines.settings import FieldMapping, Tenant
from crm_pipelines.store.app_data import SomeAppRows, read_app_table, read_prospect_hashes
from crm_pipelines.store.field_labels import read_crm_labels
from crm_pipelines.store.crm_field_changes import read_field_changes
from crm_pipelines.store.field_sync_base import read_base, store_base
from crm_pipelines.store.field_sync_marks import Marks, forget_marks, store_marks
from crm_pipelines.store.io_manager import READ_COLUMNS
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.statistics import refresh_statistics
from crm_pipelines.store.sync_commit import commit_sync

_COMMON = per_tenant("field_sync", {"python", "sql"})
_OFF = "off (S4 sync.crm_to_app): nothing applied"
# What prospect creation fills (a prospect, its base pair and its one log row for each record).
CREATION_TABLES = ("prospects", "field_sync_base", "connector_log")


def _crm_to_app_off(context: AssetExecutionContext, database: DatabaseResource,
                    tenant: Tenant) -> MaterializeResult | None:
    if tenant.settings.sync.crm_to_app:
        return None
    return counted(context, database.db(), {"crm_to_app": _OFF, "changes_applied": 0})


def _agreed_only(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource, tenant: Tenant,
                 synced: pd.DataFrame, inbound: pd.DataFrame) -> MaterializeResult:
    """crm_to_app off: nothing applied, but the values both sides already share become the base (F3)."""
    with database.db().transaction() as conn:
        stored = store_base(conn, tenant.id, already_agreed(synced, inbound), clock.now())
    return counted(context, database.db(), {"crm_to_app": _OFF, "changes_applied": 0, "base_values_stored": stored})


def _commit(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
            tables: dict[str, pd.DataFrame | SomeAppRows], changes: pd.DataFrame, skipped: tuple[FieldMapping, ...] = (),
            base: pd.DataFrame | None = None, marks: Marks | None = None, at: datetime | None = None,
            **extra: object) -> MaterializeResult:
    """Write the changed tables, the changes' log rows and the base they move together (and the
    run's `marks`, what it compared), at `at` (default now); the run's metadata."""
    now = at or clock.now()
    rows = connector_log_rows(changes, at=now)
    commit_sync(database.db(), context.partition_key, tables, rows, run_id=context.run.run_id,
                batch=context.asset_key.to_user_string(), base=base, at=now, marks=marks)
    metadata = {
        "crm_to_app": "on",
        "changes_applied": len(changes),  # field values: a created record is one log row of several
        "records_changed": int(rows["app_id"].nunique()),
        "records_created": int(rows.loc[rows["reason"] == "created_in_crm", "app_id"].nunique()),
        "log_summary": markdown_table(log_summary(rows) if len(rows) else rows.iloc[0:0]),
        "changes_preview": markdown_table(rows.drop(columns=["at"])),
    }
    if base is not None:
        metadata["base_values_stored"] = len(base)
        metadata["conflicts"] = int(rows["reason"].astype("string").str.startswith("conflict_").fillna(False).sum())
    metadata.update(extra)
    if skipped:
        metadata["mappings_not_in_org"] = MetadataValue.text(
            ", ".join(f"{m.crm_object}.{m.crm_field}" for m in skipped))
    return counted(context, database.db(), metadata)


@asset(**_COMMON, deps=[APP_ASSET_KEYS["prospects"]],
       ins={"matched_prospects": AssetIn(), "matched_users": AssetIn(), "crm_leads": PEOPLE_ONLY,
            "crm_contacts": PEOPLE_ONLY})
def synced_prospects(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                     matched_prospects: pd.DataFrame, matched_users: pd.DataFrame, crm_leads: pd.DataFrame,
                     crm_contacts: pd.DataFrame) -> MaterializeResult:
    """The CRM's Lead and Contact changes applied to the app's prospects: new prospects for new CRM
    records (F4.1), email changes (F4.2), deletions and merges (F4.3), mapped values with the empty
    value rule (F4.4) and the opted-out flag (F4.7), links found by email, conversion or a manual
    match, and owners (the app user matched to the CRM owner). Two-way fields are three-way against
    the base (F3), a conflict logged with both values. Every change is in the connector log.
    Computed a key range of CRM ids at a time (issue 17), the new prospects committed after the rest;
    on a run after the first, only the ranges that changed since (exchange.changed_ranges)."""
    tenant = database.partition_tenant(context)
    db = database.db()
    started = clock.now()
    range_records = sync_range_records()
    if range_records <= 0 or not tenant.settings.sync.crm_to_app:
        forget_marks(db, tenant.id, context.asset_key.to_user_string())
        return _prospects_in_one_piece(context, database, clock, tenant, read_app_table(db, tenant.id, "prospects"),
                                       matched_prospects, matched_users)
    org = org_people(crm_leads, crm_contacts, range_records)
    del crm_leads, crm_contacts
    settings = tenant.settings.connector
    # Of the app's prospects only their places and the store's hash of each row are held whole.
    prospects = AppProspects(read_prospect_hashes(db, tenant.id, PLACE_COLUMNS), (db, tenant.id))
    placement = Placement.of(org, matched_prospects, prospects.places)
    comparison = plan_comparison(
        db, tenant.id, context.asset_key.to_user_string(), org, prospects.places, matched_prospects, placement,
        started_at=started, fingerprint=fingerprint(tenant.settings, frame_digest(sorted_rows(matched_users))),
        run_id=context.run.run_id)
    sync = ranged_prospect_sync(db, tenant.id, org, matched_prospects, prospects,
                                mappings=tenant.settings.field_mappings, settings=settings,
                                matched_users=matched_users, only=comparison.only, placement=placement)
    updated = applied_rows(prospects, sync.inbound)  # the other rows stay as stored
    committed_at = clock.now()
    result = _commit(context, database, clock, {"prospects": updated}, sync.inbound, sync.skipped_mappings,
                     base=sync.synced, marks=comparison.marks, at=committed_at, **comparison.metadata(org))
    if not settings.create_prospects_from_crm:
        return result
    del updated, sync  # the new prospects go in after the rest is committed
    # Their log and base rows carry the commit's time: the next run knows them as this run's own
    # (field_sync_marks.base_stored_since), and the marks take the prospects as committed.
    created = create_prospects_in_chunks(db, tenant, org, prospects, placement, matched_users,
                                         creation_chunk_rows(), now=lambda: committed_at, run_id=context.run.run_id,
                                         batch_name=context.asset_key.to_user_string())
    counts = created.counts
    del org, prospects, placement  # the org's people and the prospects' places: neither is read again
    if counts["records_created"]:
        refresh_statistics(db, CREATION_TABLES)  # filled at once: analyzed, so later reads by id take their index
        marks = marks_with_created(db, tenant.id, replace(comparison.marks, committed_at=committed_at),
                                   created.rows(), matched_prospects)
        with db.transaction() as conn:
            store_marks(conn, tenant.id, context.asset_key.to_user_string(), marks)
    metadata = {key: value for key, value in result.metadata.items() if not key.startswith("dagster/")}
    metadata.update({key: _count(metadata.get(key)) + count for key, count in counts.items()})
    metadata["records_changed"] = _count(metadata["records_changed"]) + counts["records_created"]
    return counted(context, db, metadata)


def _prospects_in_one_piece(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                            tenant: Tenant, prospects: pd.DataFrame, matched_prospects: pd.DataFrame,
                            matched_users: pd.DataFrame) -> MaterializeResult:
    """Every pair compared in one call, creations included: with ranges turned off
    (CRM_PIPELINES_SYNC_RANGE_RECORDS=0), and with crm_to_app off, where nothing is applied."""
    db = database.db()
    crm_leads, crm_contacts = read_whole_org(db, tenant.id)
    sync = sync_prospects(matched_prospects, prospects, crm_leads, crm_contacts,
                          mappings=tenant.settings.field_mappings, settings=tenant.settings.connector,
                          matched_users=matched_users, base=read_base(db, tenant.id, "prospect"),
                          crm_field_times=read_field_changes(db, tenant.id))
    if _crm_to_app_off(context, database, tenant) is not None:
        return _agreed_only(context, database, clock, tenant, sync.synced, sync.inbound)
    updated = apply_inbound_changes(prospects, sync.inbound)
    return _commit(context, database, clock, {"prospects": updated}, sync.inbound, sync.skipped_mappings,
                   base=sync.synced)


def _count(value: object) -> int:
    return int(getattr(value, "value", value) or 0)


@asset(**_COMMON, deps=[APP_ASSET_KEYS["companies"]],
       ins={"matched_accounts": AssetIn(), "crm_accounts": AssetIn()})
def synced_companies(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                     matched_accounts: pd.DataFrame, crm_accounts: pd.DataFrame) -> MaterializeResult:
    """Each matched company takes its Account's mapped values (Accounts are pulled, F1); its domain
    follows a changed website. Every change is in the connector log."""
    tenant = database.partition_tenant(context)
    if (off := _crm_to_app_off(context, database, tenant)) is not None:
        return off
    companies = read_app_table(database.db(), tenant.id, "companies")
    found = company_changes(matched_accounts, companies, crm_accounts, mappings=tenant.settings.field_mappings,
                            settings=tenant.settings.connector)
    updated = apply_company_changes(companies, found.changes)
    return _commit(context, database, clock, {"companies": updated}, found.changes, found.skipped_mappings)


@asset(**_COMMON, deps=[EXTRACTION_GATE, APP_ASSET_KEYS["app_campaigns"]], ins={"crm_campaigns": AssetIn()})
def synced_campaigns(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                     crm_campaigns: pd.DataFrame) -> MaterializeResult:
    """CRM Campaigns in the app (F6): new ones inserted, linked ones updated field by field where
    the CRM changed them (three-way, F3). The app's own changes go the other way, planned at push
    time in `outbound_field_changes`."""
    tenant = database.partition_tenant(context)
    db = database.db()
    campaigns = read_app_table(db, tenant.id, "app_campaigns")
    sync = sync_campaigns(campaigns, crm_campaigns, mappings=tenant.settings.field_mappings,
                          settings=tenant.settings.connector, base=read_base(db, tenant.id, "campaign"),
                          crm_field_times=read_field_changes(db, tenant.id, "Campaign"))
    if _crm_to_app_off(context, database, tenant) is not None:
        return _agreed_only(context, database, clock, tenant, sync.synced, sync.inbound)
    updated = apply_campaign_changes(campaigns, sync.inbound)
    return _commit(context, database, clock, {"app_campaigns": updated}, sync.inbound, sync.skipped_mappings,
                   base=sync.synced)


@asset(**_COMMON, deps=[APP_ASSET_KEYS["app_opportunities"], APP_ASSET_KEYS["opportunity_stages"],
                        AssetKey("synced_campaigns")],
       ins={"crm_opportunities": AssetIn(metadata={READ_COLUMNS: list(OPPORTUNITY_PLACES)}),
            "matched_accounts": AssetIn()})
def synced_opportunities(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource,
                         crm_opportunities: pd.DataFrame, matched_accounts: pd.DataFrame) -> MaterializeResult:
    """The app's read-only copies of CRM Opportunities (F5), linked to their company (through the
    matched Accounts), campaign and stage; a stage the app does not know is created, copies of
    deleted opportunities removed. Every change is in the connector log. Computed a key range of
    CRM ids at a time (issue 17), in one transaction."""
    tenant = database.partition_tenant(context)
    if (off := _crm_to_app_off(context, database, tenant)) is not None:
        return off
    db = database.db()
    now = clock.now()
    campaigns = read_app_table(db, tenant.id, "app_campaigns")
    # Every read of the sync within its transaction: on SQLite another connection's would wait
    # for the transaction's own write lock.
    with db.transaction() as conn:
        totals = sync_opportunity_ranges(
            conn, tenant.id, crm_opportunities, range_records=sync_range_records(),
            company_of_account=company_of_account(matched_accounts), app_campaigns=campaigns,
            mappings=tenant.settings.field_mappings,
            settings=tenant.settings.connector, at=now, run_id=context.run.run_id,
            batch=context.asset_key.to_user_string())
    if totals.records_created:
        refresh_statistics(db, ("app_opportunities", "connector_log"))  # as prospect creation does
    metadata: dict[str, object] = {
        "crm_to_app": "on",
        "changes_applied": totals.changes_applied,
        "records_changed": totals.records_changed,
        "records_created": totals.records_created,
        "log_summary": markdown_table(totals.log_summary()),
        "changes_preview": markdown_table(totals.preview_rows(), total=totals.log_rows),
        "stages_created": totals.stages_created,
        "copies_removed": totals.copies_removed,
        "key_ranges": totals.ranges,
    }
    if totals.skipped_mappings:
        metadata["mappings_not_in_org"] = MetadataValue.text(
            ", ".join(f"{m.crm_object}.{m.crm_field}" for m in totals.skipped_mappings))
    return counted(context, db, metadata)


_LABELLED = ("Lead", "Contact", "Account", "Opportunity", "Campaign")


@asset(**_COMMON, deps=[EXTRACTION_GATE, APP_ASSET_KEYS["app_field_labels"],
                        *[AssetKey(BY_NAME[n].asset) for n in _LABELLED]])
def synced_field_labels(context: AssetExecutionContext, database: DatabaseResource,
                        clock: ClockResource) -> MaterializeResult:
    """The labels of mapped custom fields, as the CRM names them now (F4.9): when the tenant follows
    CRM label changes, the app takes each new label; when not, it keeps its own."""
    tenant = database.partition_tenant(context)
    if (off := _crm_to_app_off(context, database, tenant)) is not None:
        return off
    db = database.db()
    labels = read_app_table(db, tenant.id, "app_field_labels")
    changes = label_changes(read_crm_labels(db, tenant.id), labels, tenant.settings.field_mappings,
                            tenant.settings.connector)
    return _commit(context, database, clock, {"app_field_labels": apply_label_changes(labels, changes)}, changes,
                   follow_crm_label_changes=tenant.settings.connector.follow_crm_label_changes)
