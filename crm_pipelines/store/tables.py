"""Every table crm_pipelines keeps, as SQLAlchemy Core metadata.

This module is the schema's current shape; the migrations under `migrations/versions` are how a
database gets there. A test checks the two agree, so a table added here without a migration fails CI.

Tenant-scoped tables carry `tenant_id` as the first column of their primary key: the IO manager
replaces and reads exactly one tenant's rows through it, and no query can forget it cheaply.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, Float, Index, Integer, LargeBinary, MetaData, String, Table, Text,
)

from crm_pipelines.core.crm_objects import CRM_OBJECTS, CrmField, ExtractedObject

from crm_pipelines.store.types import UtcDateTime, json_type

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# -- the columns many tables share --------------------------------------------------------------
# Ids of app records are the app's own text ids; CRM ids are Salesforce's 18-character ids.
_APP_ID = 64


def _tenant_table(name: str, *columns: Column | Index) -> Table:
    """A tenant-scoped table: `tenant_id` first, leading its primary key."""
    return Table(name, metadata, Column("tenant_id", String(63), primary_key=True), *columns)


def _app_id(name: str, **options: bool) -> Column:
    return Column(name, String(_APP_ID), **options)


def _crm_id(name: str, **options: bool) -> Column:
    return Column(name, String(18), **options)


def _run_id() -> Column:
    """The Dagster run that wrote the row, where one did."""
    return Column("run_id", String(64), nullable=True)


def _created_and_updated(*, nullable: bool) -> tuple[Column, Column]:
    return Column("created_at", UtcDateTime(), nullable=nullable), Column("updated_at", UtcDateTime(), nullable=nullable)


def _optional_texts(*names: str) -> list[Column]:
    return [Column(name, Text(), nullable=True) for name in names]

# -- the tenant registry (T1, T2) ---------------------------------------------------------------
tenants = Table(
    "tenants",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("crm_kind", String(32), nullable=False),
    # The connection and settings as validated pydantic JSON; credentials are env-var names only.
    # The connection is the one place the CRM's URL is kept (its `login_url`): no column copies it,
    # so nothing can reach the CRM at one URL and list it at another.
    Column("connection", json_type(), nullable=False),
    Column("settings", json_type(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("connected_at", UtcDateTime(), nullable=True),
    Column("disconnected_at", UtcDateTime(), nullable=True),
    *_created_and_updated(nullable=False),
)

# -- asset tables written by the tenant-partitioned IO manager -----------------------------------
tenant_settings = _tenant_table(
    "tenant_settings",
    Column("setting", String(200), primary_key=True),
    Column("value", Text(), nullable=True),
    Column("is_default", Boolean(), nullable=False),
    Column("captured_at", UtcDateTime(), nullable=False),
)


# -- the warehouse: extracted CRM objects (E1–E7) -------------------------------------------------
def _crm_column(field: CrmField) -> Column:
    sql_type = {
        "id": String(18),
        "string": Text(),
        "bool": Boolean(),
        "datetime": UtcDateTime(),
        "date": Date(),
        "float": Float(),
        "int": BigInteger(),
    }[field.kind]
    return Column(field.column, sql_type, primary_key=field.name == "Id", nullable=field.name != "Id")


# The CRM objects read by SystemModstamp: the cadence workflows read the Leads and Contacts
# modified since their cursor, and the latest SystemModstamp of each (store.workflow_changes).
MODSTAMP_INDEXED = ("Lead", "Contact")


def _crm_table(obj: ExtractedObject) -> Table:
    columns: list[Column | Index] = [_crm_column(f) for f in obj.fields]
    if not obj.soft_deletes:
        columns.append(Column("is_deleted", Boolean(), nullable=True))
    if obj.name in MODSTAMP_INDEXED:
        columns.append(Index(f"ix_{obj.table}_tenant_id_system_modstamp", "tenant_id", "system_modstamp"))
    return _tenant_table(
        obj.table,
        *columns,
        # When the delete was seen: SystemModstamp of the deleted row, or /deleted/'s deletedDate.
        Column("deleted_at", UtcDateTime(), nullable=True),
        # Mapped fields beyond the standard ones (E6), by Salesforce name.
        Column("mapped_fields", json_type(), nullable=True),
        Column("extracted_at", UtcDateTime(), nullable=False),
    )


crm_tables: dict[str, Table] = {obj.name: _crm_table(obj) for obj in CRM_OBJECTS}

# -- pipeline state: cursors, API budget, deferrals, labels, rejects --------------------------------
extract_cursors = _tenant_table(
    "extract_cursors",
    Column("sobject", String(80), primary_key=True),
    # The last (SystemModstamp, Id) durably written; the next sync reads from here (minus lookback).
    Column("cursor_modstamp", UtcDateTime(), nullable=True),
    _crm_id("cursor_id", nullable=True),
    Column("full_sync_completed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The CRM's time up to which deletions are known (its delete log's latestDateCovered, or when
    # the Id set was last compared); the next sync reads the delete log from here (E3).
    Column("deletes_covered_until", UtcDateTime(), nullable=True),
    # An unordered read (a Bulk job) stopped before its last page: where it stands (the CRM port's
    # resume point), the latest record stored by it so far, and the moment of the CRM's snapshot.
    # The cursor moves only when such a read ends, to the latest record of the whole read.
    Column("read_resume_from", Text(), nullable=True),
    Column("read_seen_modstamp", UtcDateTime(), nullable=True),
    Column("read_seen_id", String(18), nullable=True),
    Column("read_started_at", UtcDateTime(), nullable=True),
)

# F3: when each field of a CRM record last changed in the CRM, from the org's field history
# (LeadHistory, ContactHistory, CampaignHistory), for the CRM's side of a conflict. Only orgs that
# track history have rows; their cursors are in extract_cursors under the history object's name.
crm_field_changes = _tenant_table(
    "crm_field_changes",
    Column("sobject", String(80), primary_key=True),  # the record's object: Lead, Contact, Campaign
    _crm_id("record_id", primary_key=True),
    Column("field", String(80), primary_key=True),  # the CRM field's API name
    Column("changed_at", UtcDateTime(), nullable=False),
    Column("extracted_at", UtcDateTime(), nullable=False),
)

api_calls = _tenant_table(
    "api_calls",
    # Calls are counted in one-minute buckets; the budget is the sum over the last 24 hours.
    Column("bucket_start", UtcDateTime(), primary_key=True),
    Column("calls", Integer(), nullable=False),
)

crm_org_limits = _tenant_table(
    "crm_org_limits",
    Column("used", BigInteger(), nullable=False),
    Column("max", BigInteger(), nullable=False),
    Column("observed_at", UtcDateTime(), nullable=False),
    # The run that read it: the first CRM call of a run reads /limits unless the run already did.
    _run_id(),
)

deferrals = Table(
    "deferrals",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("tenant_id", String(63), nullable=False, index=True),
    Column("job", String(40), nullable=False),
    Column("objects", json_type(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("resume_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    _run_id(),
    Column("resolved_at", UtcDateTime(), nullable=True),
)

crm_field_labels = _tenant_table(
    "crm_field_labels",
    Column("sobject", String(80), primary_key=True),
    Column("field", String(80), primary_key=True),
    Column("label", Text(), nullable=False),
    Column("previous_label", Text(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

crm_rejected_records = Table(
    "crm_rejected_records",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("tenant_id", String(63), nullable=False, index=True),
    Column("sobject", String(80), nullable=False),
    _crm_id("record_id", nullable=True),
    Column("reason", Text(), nullable=False),
    Column("raw", json_type(), nullable=False),
    _run_id(),
    Column("rejected_at", UtcDateTime(), nullable=False),
)

# -- the app's own tables (the app database of the spec's "systems" table) ---------------------

app_users = _tenant_table(
    "app_users",
    _app_id("user_id", primary_key=True),
    Column("email", Text(), nullable=True),
    Column("full_name", Text(), nullable=True),
    Column("is_active", Boolean(), nullable=True),
)

prospects = _tenant_table(
    "prospects",
    _app_id("prospect_id", primary_key=True),
    _crm_id("crm_id", nullable=True),
    Column("crm_type", String(16), nullable=True),
    *_optional_texts("email", "first_name", "last_name", "title", "company", "phone", "city", "country", "status", "lead_source", "industry"),
    Column("lead_score", Float(), nullable=True),
    Column("opted_out", Boolean(), nullable=True),
    Column("persona", Text(), nullable=True),
    Column("region", Text(), nullable=True),
    _app_id("owner_user_id", nullable=True),
    Column("owner_email", Text(), nullable=True),
    Column("is_deleted", Boolean(), nullable=True),
    _app_id("merged_into", nullable=True),
    *_created_and_updated(nullable=True),
    Column("last_activity_at", UtcDateTime(), nullable=True),
    # F3: when each field last changed in the app ({field: ISO time}); updated_at where a field has none.
    Column("field_changed_at", json_type(), nullable=True),
    # The prospect sync reads the prospects of one key range of CRM ids at a time (issue 17).
    Index("ix_prospects_tenant_id_crm_id", "tenant_id", "crm_id"),
)

companies = _tenant_table(
    "companies",
    _app_id("company_id", primary_key=True),
    _crm_id("crm_account_id", nullable=True),
    *_optional_texts("name", "website", "domain", "industry", "type", "city", "country"),
    Column("employee_count", Float(), nullable=True),
    Column("annual_revenue", Float(), nullable=True),
    Column("tier", Text(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    *_created_and_updated(nullable=True),
)

app_campaigns = _tenant_table(
    "app_campaigns",
    _app_id("campaign_id", primary_key=True),
    _crm_id("crm_campaign_id", nullable=True),
    *_optional_texts("name", "type", "status"),
    Column("is_active", Boolean(), nullable=True),
    Column("start_date", Date(), nullable=True),
    Column("end_date", Date(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    *_created_and_updated(nullable=True),
    Column("field_changed_at", json_type(), nullable=True),
)

opportunity_stages = _tenant_table(
    "opportunity_stages",
    _app_id("stage_id", primary_key=True),
    Column("name", Text(), nullable=True),
    Column("is_closed", Boolean(), nullable=True),
    Column("is_won", Boolean(), nullable=True),
)

app_opportunities = _tenant_table(
    "app_opportunities",
    _app_id("opportunity_id", primary_key=True),
    _crm_id("crm_opportunity_id", nullable=True),
    Column("name", Text(), nullable=True),
    _app_id("company_id", nullable=True),
    _app_id("campaign_id", nullable=True),
    _app_id("stage_id", nullable=True),
    Column("amount", Float(), nullable=True),
    Column("probability", Float(), nullable=True),
    Column("close_date", Date(), nullable=True),
    Column("is_closed", Boolean(), nullable=True),
    Column("is_won", Boolean(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    *_created_and_updated(nullable=True),
    # The opportunity sync reads the copies of one key range of CRM ids at a time (issue 17).
    Index("ix_app_opportunities_tenant_id_crm_opportunity_id", "tenant_id", "crm_opportunity_id"),
)

activity_events = _tenant_table(
    "activity_events",
    _app_id("event_id", primary_key=True),
    _app_id("prospect_id", nullable=True),
    _app_id("user_id", nullable=True),
    Column("kind", String(40), nullable=False),
    Column("object_type", String(40), nullable=True),
    _app_id("object_id", nullable=True),
    Column("object_name", Text(), nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
)

cadences = _tenant_table(
    "cadences",
    _app_id("cadence_id", primary_key=True),
    Column("name", Text(), nullable=False),
)

cadence_memberships = _tenant_table(
    "cadence_memberships",
    _app_id("membership_id", primary_key=True),
    _app_id("prospect_id", nullable=False),
    _app_id("cadence_id", nullable=False),
    Column("current_touch", Integer(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=True),
)

cadence_touches = _tenant_table(
    "cadence_touches",
    _app_id("touch_id", primary_key=True),
    _app_id("membership_id", nullable=False),
    _app_id("prospect_id", nullable=False),
    _app_id("user_id", nullable=True),
    Column("touch_number", Integer(), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
)

# X3: a confirmed match per app record; confirming again replaces it. An input of every
# matching rebuild, never a result of one, so no rebuild can lose it.
match_overrides = _tenant_table(
    "match_overrides",
    Column("entity", String(16), primary_key=True),
    _app_id("app_id", primary_key=True),
    _crm_id("crm_id", nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=False),
)

manual_list_overrides = _tenant_table(
    "manual_list_overrides",
    _app_id("user_id", primary_key=True),
    Column("list", String(32), primary_key=True),
    _crm_id("crm_id", primary_key=True),
    Column("at", UtcDateTime(), primary_key=True),
    Column("action", String(40), nullable=False),
)

auto_save_rule_selections = _tenant_table(
    "auto_save_rule_selections",
    _app_id("user_id", primary_key=True),
    # JSON lists of rule ids ("A1".."A3", "P1".."P5").
    Column("account_rules", json_type(), nullable=False),
    Column("lead_rules", json_type(), nullable=False),
)

push_requests = _tenant_table(
    "push_requests",
    _app_id("request_id", primary_key=True),
    _app_id("prospect_id", nullable=False),
    _app_id("requested_by", nullable=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
)

todos = _tenant_table(
    "todos",
    _app_id("todo_id", primary_key=True),
    _app_id("prospect_id", nullable=False),
    _app_id("assignee_user_id", nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # When the push the to-do triggered (P4d) reached the CRM; NA while it waits.
    Column("pushed_at", UtcDateTime(), nullable=True),
)

# F4.9: the labels the app shows for mapped custom fields, as last taken from the CRM.
app_field_labels = _tenant_table(
    "app_field_labels",
    Column("crm_object", String(80), primary_key=True),
    Column("crm_field", String(80), primary_key=True),
    Column("label", Text(), nullable=True),
)

# -- matching and field-sync asset tables (written by the IO manager) ---------------------------
matched_users = _tenant_table(
    "matched_users",
    _app_id("user_id", primary_key=True),
    _crm_id("crm_user_id", nullable=False),
    Column("matched_by", String(16), nullable=False),
)

matched_prospects = _tenant_table(
    "matched_prospects",
    _app_id("prospect_id", primary_key=True),
    _crm_id("crm_id", nullable=False),
    Column("crm_type", String(16), nullable=False),
    Column("matched_by", String(16), nullable=False),
    Column("candidates", Integer(), nullable=False),
    Column("ambiguous", Boolean(), nullable=False),
)

matched_accounts = _tenant_table(
    "matched_accounts",
    _app_id("company_id", primary_key=True),
    _crm_id("crm_account_id", nullable=False),
    Column("matched_by", String(16), nullable=False),
    Column("candidates", Integer(), nullable=False),
    Column("ambiguous", Boolean(), nullable=False),
)

# The app → CRM changes due at the latest push, planned from the app at push time (P5–P7, F3, F7).
outbound_field_changes = _tenant_table(
    "outbound_field_changes",
    Column("position", Integer(), primary_key=True),
    Column("object", String(32), nullable=False),
    _app_id("app_id", nullable=False),
    Column("crm_type", String(16), nullable=True),
    _crm_id("crm_id", nullable=True),
    Column("field", String(80), nullable=True),
    Column("crm_field", String(80), nullable=True),
    Column("field_type", String(16), nullable=False),
    Column("old_value", Text(), nullable=True),
    Column("new_value", Text(), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("at", UtcDateTime(), nullable=True),
)

# F3: the value each two-way field of a linked pair last had on both sides (the base of the
# three-way sync): written when a CRM value is applied to the app, when the CRM confirms an app
# value, and when the two sides are found to agree. Values are text (core.field_sync.values.encode).
# One row per pair (issue 17): a row per field made a first connection write a dozen rows for each
# prospect it created (11.5 M at `large`), five times slower to copy in than one row per pair.
field_sync_base = _tenant_table(
    "field_sync_base",
    Column("object", String(32), primary_key=True),
    _app_id("app_id", primary_key=True),
    _crm_id("crm_id", primary_key=True),
    Column("field_values", json_type(), nullable=False),  # {field: value or null}
    # {field: microseconds since the epoch it was stored at, or null}
    Column("field_times", json_type(), nullable=False),
    Column("synced_at", UtcDateTime(), nullable=True),  # the latest of field_times
    # The prospect sync reads the base of one key range of CRM ids at a time (issue 17).
    Index("ix_field_sync_base_tenant_id_object_crm_id", "tenant_id", "object", "crm_id"),
    # A run after the first compares the pairs stored since the last (field_sync_marks.base_stored_since).
    Index("ix_field_sync_base_tenant_id_object_synced_at", "tenant_id", "object", "synced_at"),
)

# What the last run of a ranged prospect comparison (synced_prospects, outbound_field_changes) saw,
# so the next compares only the key ranges that changed since (issue 17): stored with the run's
# result, so a run that fails leaves the previous marks and the next run redoes its work.
field_sync_marks = _tenant_table(
    "field_sync_marks",
    Column("asset", String(80), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # settings, mappings, user matches, columns
    Column("started_at", UtcDateTime(), nullable=False),  # the clock when the run began reading
    Column("committed_at", UtcDateTime(), nullable=True),  # the time its own base rows were stored at
    Column("extracted_until", UtcDateTime(), nullable=True),  # latest extracted_at of Leads/Contacts seen
    Column("history_until", UtcDateTime(), nullable=True),  # latest extracted_at of their field history seen
    _run_id(),
    Column("output_digest", String(64), nullable=True),  # of the rows the run wrote, when they are an asset's
    Column("seen", LargeBinary(), nullable=False),  # core.field_sync.changed_ranges.Seen
)

# F8: every change the connector applied, either way. The id is `<run>/<batch>/<position>`, so a
# step that is retried within its run rewrites its own rows instead of logging them twice.
connector_log = _tenant_table(
    "connector_log",
    Column("id", String(200), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    _run_id(),
    Column("object", String(32), nullable=False),
    _app_id("app_id", nullable=True),
    Column("crm_type", String(16), nullable=True),
    _crm_id("crm_id", nullable=True),
    Column("field", String(80), nullable=True),
    Column("crm_field", String(80), nullable=True),
    Column("old_value", Text(), nullable=True),
    Column("new_value", Text(), nullable=True),
    Column("direction", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    # The reason in words where a code is not enough (the workflow and its criteria).
    Column("detail", Text(), nullable=True),
    Index("ix_connector_log_tenant_id_at", "tenant_id", "at"),
    Index("ix_connector_log_tenant_id_app_id", "tenant_id", "app_id"),
    Index("ix_connector_log_tenant_id_crm_id", "tenant_id", "crm_id"),
)


# -- auto-save lists (L1–L12) -----------------------------------------------------------------------
def _list_table(name: str) -> Table:
    return _tenant_table(
        name,
        _app_id("user_id", primary_key=True),
        _crm_id("crm_id", primary_key=True),
        Column("list", String(32), nullable=False),
        Column("record_type", String(16), nullable=False),
        # The rule codes that hold the item ("A2,A3"), or "manual".
        Column("rules", Text(), nullable=False),
        Column("source", String(8), nullable=False),
        Column("added_at", UtcDateTime(), nullable=False),
        Column("is_deleted", Boolean(), nullable=False),
    )


auto_save_account_lists = _list_table("auto_save_account_lists")
auto_save_lead_lists = _list_table("auto_save_lead_lists")

auto_save_changes = Table(
    "auto_save_changes",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("tenant_id", String(63), nullable=False, index=True),
    _run_id(),
    _app_id("user_id", nullable=False),
    Column("list", String(32), nullable=False),
    _crm_id("crm_id", nullable=False),
    Column("record_type", String(16), nullable=False),
    Column("change", String(8), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)


# L12: each user's total saved items, replaced with the lists by every rebuild.
saved_item_totals = _tenant_table(
    "saved_item_totals",
    _app_id("user_id", primary_key=True),
    Column("account_items", Integer(), nullable=False),
    Column("lead_and_contact_items", Integer(), nullable=False),
    Column("auto_items", Integer(), nullable=False),
    Column("manual_items", Integer(), nullable=False),
    Column("saved_items", Integer(), nullable=False),
    Column("counted_at", UtcDateTime(), nullable=False),
    _run_id(),
)


# -- outbound pushes (P1–P8) ------------------------------------------------------------------------
# What each plan found to send, as core.outbound's push items (PUSH_COLUMNS), one table per plan.
PUSH_PLANS = (
    "activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes", "lead_score_updates",
    "field_updates", "campaign_pushes",
)


def _push_plan_table(name: str) -> Table:
    return _tenant_table(
        name,
        Column("position", Integer(), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("sobject", String(40), nullable=False),
        Column("operation", String(8), nullable=False),
        Column("external_id", String(80), nullable=False),
        _crm_id("crm_id", nullable=True),
        Column("app_object", String(16), nullable=False),
        _app_id("app_id", nullable=False),
        _app_id("who_prospect_id", nullable=True),
        Column("fields", json_type(), nullable=True),
        Column("app_fields", json_type(), nullable=True),
        Column("old_values", json_type(), nullable=True),
        # {CRM field: the field sync's reason} where the log says more than the kind (F3 conflicts).
        Column("reasons", json_type(), nullable=True),
        Column("triggers", Text(), nullable=True),
        Column("forced", Boolean(), nullable=False),
        Column("note", Text(), nullable=True),
    )


push_plan_tables: dict[str, Table] = {name: _push_plan_table(name) for name in PUSH_PLANS}

# The delivery ledger (P8): one row per CRM record the app writes, by its external id.
crm_push_results = _tenant_table(
    "crm_push_results",
    Column("sobject", String(40), primary_key=True),
    Column("external_id", String(80), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("app_object", String(16), nullable=False),
    _app_id("app_id", nullable=False),
    _crm_id("crm_id", nullable=True),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer(), nullable=False),
    # The fields the CRM confirmed, and the fields of the last attempt (JSON objects).
    Column("sent_fields", json_type(), nullable=True),
    Column("attempted_fields", json_type(), nullable=True),
    Column("error_code", String(80), nullable=True),
    Column("error_message", Text(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    _run_id(),
    Index("ix_crm_push_results_tenant_id_state", "tenant_id", "state"),
)


# -- cadence workflows (W1–W4) ------------------------------------------------------------------------
# Each action applied, once per (membership, change, workflow): the W3 "once per change" memory.
workflow_actions_applied = _tenant_table(
    "workflow_actions_applied",
    _app_id("membership_id", primary_key=True),
    Column("change_key", String(80), primary_key=True),
    Column("workflow", String(200), primary_key=True),
    _app_id("prospect_id", nullable=False),
    Column("action", String(32), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
    _run_id(),
)

# The SystemModstamp up to which each tenant's Lead and Contact changes have been evaluated.
workflow_cursors = _tenant_table(
    "workflow_cursors",
    Column("evaluated_through", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)


# -- the sync chain and the interest threshold (S1, O4, P4c) ---------------------------------------
# Each tenant's last completed sync chain, and when and why a later sync stopped short of it.
sync_chains = _tenant_table(
    "sync_chains",
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("completed_run_id", String(64), nullable=True),
    Column("incomplete_since", UtcDateTime(), nullable=True),
    Column("incomplete_reason", Text(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Whether each prospect's lead score was at or above the tenant's interest threshold when last seen,
# its latest crossing, and when the push that crossing triggered went out (NA while it waits).
interest_crossings = _tenant_table(
    "interest_crossings",
    _app_id("prospect_id", primary_key=True),
    Column("above", Boolean(), nullable=False),
    Column("crossed_at", UtcDateTime(), nullable=True),
    Column("pushed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)
