"""The `outbound` group, what the app sends to each tenant's CRM (P1–P7): one plan asset per kind
of push, each a table of push items (core.outbound's PUSH_COLUMNS), and the delivery that sends
them (`crm_push_results`, in outbound_delivery).

A plan holds what is still to send: items the ledger says the CRM already has are left out. Plans
read the app as it is at push time and the last sync's results (extracted CRM records, matches);
the field changes among them (`outbound_field_changes`) are planned in this same push run. Plans
never call the CRM.
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, asset

from crm_pipelines.assets.app import APP_ASSET_KEYS
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.assets.sync_chain import PUSH_GATE
from crm_pipelines.core.outbound import (
    PUSH_COLUMNS,
    campaign_items,
    contact_push_items,
    converted_leads,
    due_items,
    empty_items,
    event_tasks,
    field_update_items,
    new_lead_items,
    touch_tasks,
    without_converted_leads,
)
from crm_pipelines.core.outbound.activity import WHAT_OBJECTS
from crm_pipelines.core.outbound.contact_pushes import deciding_prospects, triggered_ids
from crm_pipelines.core.outbound.records import LEAD_SCORE_FIELD
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.settings import Tenant
from crm_pipelines.store.app_data import read_app_table, read_prospects
from crm_pipelines.store.crm_lookup import read_converted_leads
from crm_pipelines.store.database import Database
from crm_pipelines.store.interest_crossings import pending_crossings
from crm_pipelines.store.push_plan_reads import base_of_sent, ledger_of_items
from crm_pipelines.store.io_manager import READ_COLUMNS, READ_ROWS
from crm_pipelines.store.resource import DatabaseResource

_COMMON = dict(
    partitions_def=tenant_partitions, io_manager_key="tenant_io_manager", group_name="outbound",
    kinds={"python", "sql"}, owners=OWNERS, code_version="1",
)


def _changes(*, equal: dict[str, list[str]], not_null: tuple[str, ...] = (), columns: list[str] | None = None) -> dict:
    """The input of the push's field changes, read only as far as a plan takes them: the rows it
    picks (READ_ROWS; the plan's own function picks among them as it always did), and `columns`."""
    rows = {"equal": equal, "not_null": list(not_null)}
    return {"outbound_field_changes": AssetIn(metadata={READ_ROWS: rows, **({READ_COLUMNS: columns} if columns else {})})}


# What each plan takes of outbound_field_changes (core.outbound.records and contact_pushes pick these first).
_NEW_LEAD_CHANGES = _changes(equal={"reason": ["new_lead"]})
_LINKED_CHANGES = _changes(equal={"object": ["prospect", "company"]}, not_null=("crm_id",))
_LEAD_SCORE_CHANGES = _changes(equal={"object": ["prospect", "company"], "field": [LEAD_SCORE_FIELD]},
                               not_null=("crm_id",))
_CAMPAIGN_CHANGES = _changes(equal={"object": ["campaign"]})
_TWO_WAY_CHANGES = _changes(equal={"object": ["prospect"]}, not_null=("crm_id",),
                            columns=["object", "app_id", "crm_id", "crm_field"])


def crm_user_of(matched_users: pd.DataFrame) -> pd.Series:
    """App user id → the CRM user matched to it (X1)."""
    return matched_users.set_index(matched_users["user_id"].astype("string"))["crm_user_id"].astype("string")


def _converted(db: Database, tenant_id: str) -> pd.Series:
    return converted_leads(read_converted_leads(db, tenant_id))


def _still_to_send(context: AssetExecutionContext, db: Database, items: pd.DataFrame, **extra: object) -> pd.DataFrame:
    """The items the ledger does not already hold as sent, as table rows, with their metadata.
    Nothing is ever sent to a converted Lead (X5): such updates are listed with a note instead."""
    if (items["operation"] == "update").any():  # only an update can aim at a converted Lead
        items = without_converted_leads(items, _converted(db, context.partition_key))
    ledger = ledger_of_items(db, context.partition_key, items)
    plan = due_items(items, ledger, base_of_sent(db, context.partition_key, ledger))
    keys = set(zip(plan.due["sobject"], plan.due["external_id"], strict=True)) | set(
        zip(plan.unpushable["sobject"], plan.unpushable["external_id"], strict=True))
    keep = [(s, e) in keys for s, e in zip(items["sobject"], items["external_id"], strict=True)]
    rows = items.loc[keep].reset_index(drop=True)[list(PUSH_COLUMNS)]
    rows.insert(0, "position", pd.Series(range(len(rows)), dtype="Int64"))
    context.add_output_metadata({
        "to_send": int((rows["operation"] != "skip").sum()), "records": int(rows["external_id"].nunique()),
        "already_sent": plan.already_sent, "failed_unchanged": plan.failed_unchanged,
        "cannot_send": int((rows["operation"] == "skip").sum()), **counts_by(rows, "sobject", prefix="sobject_"),
        "preview": markdown_table(rows[["kind", "sobject", "operation", "external_id", "crm_id", "app_id", "triggers", "note"]]),
        **extra,
    })
    return rows


def _tenant(database: DatabaseResource, context: AssetExecutionContext) -> Tenant:
    return database.partition_tenant(context)


def _field_changes(tenant: Tenant, changes: pd.DataFrame) -> pd.DataFrame:
    """The outbound field changes of this push (one writer per CRM record already), or none when
    app → CRM sync is off (S4)."""
    return changes if tenant.settings.push.app_to_crm else changes.iloc[0:0]


@asset(**_COMMON,
       deps=[PUSH_GATE, *[APP_ASSET_KEYS[n] for n in ("activity_events", "app_opportunities", "companies", "app_campaigns")]],
       ins={"matched_users": AssetIn()})
def activity_event_tasks(context: AssetExecutionContext, database: DatabaseResource,
                         matched_users: pd.DataFrame) -> pd.DataFrame:
    """P1: each app activity event (email, call, meeting) as a CRM Task on the prospect's Lead or
    Contact, related to the event's opportunity, company or campaign, owned by the CRM user matched
    to the app user who acted. Off when the tenant does not show app activity in the CRM (F4.8).
    Events of prospects without a CRM id wait here until the id appears."""
    db, tenant = database.db(), _tenant(database, context)
    # Of the events' objects, only the two columns that give their CRM id.
    records = {table: read_app_table(db, tenant.id, table, columns=[id_column, crm_column])
               for table, id_column, crm_column, _ in WHAT_OBJECTS.values()}
    items = event_tasks(read_app_table(db, tenant.id, "activity_events"), crm_user_of=crm_user_of(matched_users),
                        app_records=records, show_activity_in_crm=tenant.settings.connector.show_activity_in_crm)
    return _still_to_send(context, db, items, show_activity_in_crm=tenant.settings.connector.show_activity_in_crm)


@asset(**_COMMON,
       deps=[PUSH_GATE, *[APP_ASSET_KEYS[n] for n in ("cadence_touches", "cadence_memberships", "cadences")]],
       ins={"matched_users": AssetIn()})
def touch_outcome_tasks(context: AssetExecutionContext, database: DatabaseResource,
                        matched_users: pd.DataFrame) -> pd.DataFrame:
    """P2: each cadence touch whose outcome the tenant logs in the CRM (`push.activity_touch_outcomes`)
    as a Task on the prospect's Lead or Contact, owned by the CRM user of the app user who made it."""
    db, tenant = database.db(), _tenant(database, context)
    outcomes = sorted(tenant.settings.push.activity_touch_outcomes)
    items = touch_tasks(read_app_table(db, tenant.id, "cadence_touches"), read_app_table(db, tenant.id, "cadence_memberships"),
                        read_app_table(db, tenant.id, "cadences"), outcomes=outcomes,
                        crm_user_of=crm_user_of(matched_users))
    return _still_to_send(context, db, items, outcomes_logged=", ".join(outcomes) or "none")


@asset(**_COMMON, deps=[PUSH_GATE, APP_ASSET_KEYS["prospects"]], ins={**_NEW_LEAD_CHANGES, "matched_users": AssetIn()})
def new_crm_leads(context: AssetExecutionContext, database: DatabaseResource, outbound_field_changes: pd.DataFrame,
                  matched_users: pd.DataFrame) -> pd.DataFrame:
    """P3: prospects the field sync found eligible as new CRM Leads (F7: not a contact, no CRM id,
    last name, company and email), owned by the CRM user matched to the prospect's app owner. The
    new Lead's id is written back to the prospect when it is created."""
    db, tenant = database.db(), _tenant(database, context)
    changes = _field_changes(tenant, outbound_field_changes)
    # The owners of the new Leads' prospects alone; none read when there is no new Lead.
    new = changes.loc[(changes["reason"] == "new_lead").fillna(False), "app_id"].dropna().astype(str).unique()
    owners = read_prospects(db, tenant.id, prospect_ids=sorted(new), columns=["prospect_id", "owner_user_id"])
    items = new_lead_items(changes, owners, crm_user_of=crm_user_of(matched_users))
    return _still_to_send(context, db, items)


@asset(**_COMMON, deps=[PUSH_GATE, *[APP_ASSET_KEYS[n] for n in ("prospects", "push_requests", "todos")],
                        AssetKey("synced_prospects")],
       ins={**_TWO_WAY_CHANGES, "matched_prospects": AssetIn(), "matched_users": AssetIn()})
def contact_pushes(context: AssetExecutionContext, database: DatabaseResource, outbound_field_changes: pd.DataFrame,
                   matched_prospects: pd.DataFrame, matched_users: pd.DataFrame) -> pd.DataFrame:
    """P4: prospects pushed because something asked: a user's push request, the lead score crossing
    the tenant's interest threshold (once per crossing, recorded by the `push_triggers` sensor), or a
    to-do assigned to a user (who then owns the CRM record).
    Linked prospects get their push mapped fields and the two-way ones the app changed since the
    base (F3, as in `outbound_field_changes`), so a CRM edit is never reverted; others become new
    Leads with every field if F7 allows, or are listed with the reason they cannot go. Empty when
    app → CRM sync is off (S4)."""
    db, tenant = database.db(), _tenant(database, context)
    settings = tenant.settings
    if not settings.push.app_to_crm:
        return _still_to_send(context, db, empty_items(), app_to_crm="off (S4 push.app_to_crm): nothing to send")
    crossings = pending_crossings(db, tenant.id)
    requests, todos = read_app_table(db, tenant.id, "push_requests"), read_app_table(db, tenant.id, "todos")
    triggered = triggered_ids(requests, todos, crossings)
    if triggered.empty:
        # Nothing asked: the prospects are not read at all.
        items = empty_items()
    else:
        # Whole rows only of the prospects that decide these pushes (theirs, and those sharing
        # their email or CRM record); of the others, the three columns that place them.
        converted = _converted(db, tenant.id)
        placing = read_app_table(db, tenant.id, "prospects", columns=["prospect_id", "crm_id", "email"])
        deciding = deciding_prospects(placing, triggered, converted)
        items = contact_push_items(
            read_prospects(db, tenant.id, prospect_ids=deciding.tolist()), requests, todos, matched_prospects,
            crm_user_of=crm_user_of(matched_users), mappings=settings.field_mappings, settings=settings.connector,
            crossings=crossings, changes=outbound_field_changes, converted=converted)
    return _still_to_send(context, db, items, interest_threshold=str(settings.push.interest_threshold),
                          threshold_crossings=len(crossings))


@asset(**_COMMON, deps=[PUSH_GATE], ins=_LEAD_SCORE_CHANGES)
def lead_score_updates(context: AssetExecutionContext, database: DatabaseResource,
                       outbound_field_changes: pd.DataFrame) -> pd.DataFrame:
    """P5: the lead score of each matched Lead or Contact whose app score differs from the CRM's."""
    changes = _field_changes(_tenant(database, context), outbound_field_changes)
    return _still_to_send(context, database.db(), field_update_items(changes, lead_score=True))


@asset(**_COMMON, deps=[PUSH_GATE], ins=_LINKED_CHANGES)
def field_updates(context: AssetExecutionContext, database: DatabaseResource,
                  outbound_field_changes: pd.DataFrame) -> pd.DataFrame:
    """P6: every other push mapped field, and every two-way one the app changed (F2–F4, three-way F3),
    one update per CRM record; empty app values only where the tenant allows them (F4.5)."""
    changes = _field_changes(_tenant(database, context), outbound_field_changes)
    return _still_to_send(context, database.db(), field_update_items(changes, lead_score=False))


@asset(**_COMMON, deps=[PUSH_GATE], ins=_CAMPAIGN_CHANGES)
def campaign_pushes(context: AssetExecutionContext, database: DatabaseResource,
                    outbound_field_changes: pd.DataFrame) -> pd.DataFrame:
    """P7: active app campaigns the CRM lacks, created there (their CRM id is written back), and
    campaign fields the app changed (three-way, F3, F6)."""
    changes = _field_changes(_tenant(database, context), outbound_field_changes)
    return _still_to_send(context, database.db(), campaign_items(changes))
