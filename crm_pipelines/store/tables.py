"""Every table crm_pipelines keeps, as SQLAlchemy Core metadata.

This module is the schema's current shape; the migrations under `migrations/versions` are how a
database gets there. A test checks the two agree, so a table added here without a migration fails CI.

Tenant-scoped tables carry `tenant_id` as the first column of their primary key: the IO manager
replaces and reads exactly one tenant's rows through it, and no query can forget it cheaply.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Index, Integer, MetaData, String, Table, Text

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
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# -- asset tables written by the tenant-partitioned IO manager -----------------------------------
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
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


def _crm_table(obj: ExtractedObject) -> Table:
    columns = [_crm_column(f) for f in obj.fields]
    if not obj.soft_deletes:
        columns.append(Column("is_deleted", Boolean(), nullable=True))
    return Table(
        obj.table,
        metadata,
        Column("tenant_id", String(63), primary_key=True),
        *columns,
        # When the delete was seen: SystemModstamp of the deleted row, or /deleted/'s deletedDate.
        Column("deleted_at", UtcDateTime(), nullable=True),
        # Mapped fields beyond the standard ones (E6), by Salesforce name.
        Column("mapped_fields", json_type(), nullable=True),
        Column("extracted_at", UtcDateTime(), nullable=False),
    )


crm_tables: dict[str, Table] = {obj.name: _crm_table(obj) for obj in CRM_OBJECTS}

# -- pipeline state: cursors, API budget, deferrals, labels, rejects --------------------------------
extract_cursors = Table(
    "extract_cursors",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("sobject", String(80), primary_key=True),
    # The last (SystemModstamp, Id) durably written; the next sync reads from here (minus lookback).
    Column("cursor_modstamp", UtcDateTime(), nullable=True),
    Column("cursor_id", String(18), nullable=True),
    Column("full_sync_completed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The CRM's time up to which deletions are known (its delete log's latestDateCovered, or when
    # the Id set was last compared); the next sync reads the delete log from here (E3).
    Column("deletes_covered_until", UtcDateTime(), nullable=True),
)

# F3: when each field of a CRM record last changed in the CRM, from the org's field history
# (LeadHistory, ContactHistory, CampaignHistory), for the CRM's side of a conflict. Only orgs that
# track history have rows; their cursors are in extract_cursors under the history object's name.
crm_field_changes = Table(
    "crm_field_changes",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("sobject", String(80), primary_key=True),  # the record's object: Lead, Contact, Campaign
    Column("record_id", String(18), primary_key=True),
    Column("field", String(80), primary_key=True),  # the CRM field's API name
    Column("changed_at", UtcDateTime(), nullable=False),
    Column("extracted_at", UtcDateTime(), nullable=False),
)

api_calls = Table(
    "api_calls",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    # Calls are counted in one-minute buckets; the budget is the sum over the last 24 hours.
    Column("bucket_start", UtcDateTime(), primary_key=True),
    Column("calls", Integer(), nullable=False),
)

crm_org_limits = Table(
    "crm_org_limits",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("used", BigInteger(), nullable=False),
    Column("max", BigInteger(), nullable=False),
    Column("observed_at", UtcDateTime(), nullable=False),
    # The run that read it: the first CRM call of a run reads /limits unless the run already did.
    Column("run_id", String(64), nullable=True),
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
    Column("run_id", String(64), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
)

crm_field_labels = Table(
    "crm_field_labels",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
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
    Column("record_id", String(18), nullable=True),
    Column("reason", Text(), nullable=False),
    Column("raw", json_type(), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("rejected_at", UtcDateTime(), nullable=False),
)

# -- the app's own tables (the app database of the spec's "systems" table) ---------------------
# Ids of app records are the app's own text ids; CRM ids are Salesforce's 18-character ids.
_APP_ID = 64

app_users = Table(
    "app_users",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("user_id", String(_APP_ID), primary_key=True),
    Column("email", Text(), nullable=True),
    Column("full_name", Text(), nullable=True),
    Column("is_active", Boolean(), nullable=True),
)

prospects = Table(
    "prospects",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("prospect_id", String(_APP_ID), primary_key=True),
    Column("crm_id", String(18), nullable=True),
    Column("crm_type", String(16), nullable=True),
    Column("email", Text(), nullable=True),
    Column("first_name", Text(), nullable=True),
    Column("last_name", Text(), nullable=True),
    Column("title", Text(), nullable=True),
    Column("company", Text(), nullable=True),
    Column("phone", Text(), nullable=True),
    Column("city", Text(), nullable=True),
    Column("country", Text(), nullable=True),
    Column("status", Text(), nullable=True),
    Column("lead_source", Text(), nullable=True),
    Column("industry", Text(), nullable=True),
    Column("lead_score", Float(), nullable=True),
    Column("opted_out", Boolean(), nullable=True),
    Column("persona", Text(), nullable=True),
    Column("region", Text(), nullable=True),
    Column("owner_user_id", String(_APP_ID), nullable=True),
    Column("owner_email", Text(), nullable=True),
    Column("is_deleted", Boolean(), nullable=True),
    Column("merged_into", String(_APP_ID), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("last_activity_at", UtcDateTime(), nullable=True),
    # F3: when each field last changed in the app ({field: ISO time}); updated_at where a field has none.
    Column("field_changed_at", json_type(), nullable=True),
)

companies = Table(
    "companies",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("company_id", String(_APP_ID), primary_key=True),
    Column("crm_account_id", String(18), nullable=True),
    Column("name", Text(), nullable=True),
    Column("website", Text(), nullable=True),
    Column("domain", Text(), nullable=True),
    Column("industry", Text(), nullable=True),
    Column("type", Text(), nullable=True),
    Column("city", Text(), nullable=True),
    Column("country", Text(), nullable=True),
    Column("employee_count", Float(), nullable=True),
    Column("annual_revenue", Float(), nullable=True),
    Column("tier", Text(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),
)

app_campaigns = Table(
    "app_campaigns",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("campaign_id", String(_APP_ID), primary_key=True),
    Column("crm_campaign_id", String(18), nullable=True),
    Column("name", Text(), nullable=True),
    Column("type", Text(), nullable=True),
    Column("status", Text(), nullable=True),
    Column("is_active", Boolean(), nullable=True),
    Column("start_date", Date(), nullable=True),
    Column("end_date", Date(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("field_changed_at", json_type(), nullable=True),
)

opportunity_stages = Table(
    "opportunity_stages",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("stage_id", String(_APP_ID), primary_key=True),
    Column("name", Text(), nullable=True),
    Column("is_closed", Boolean(), nullable=True),
    Column("is_won", Boolean(), nullable=True),
)

app_opportunities = Table(
    "app_opportunities",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("opportunity_id", String(_APP_ID), primary_key=True),
    Column("crm_opportunity_id", String(18), nullable=True),
    Column("name", Text(), nullable=True),
    Column("company_id", String(_APP_ID), nullable=True),
    Column("campaign_id", String(_APP_ID), nullable=True),
    Column("stage_id", String(_APP_ID), nullable=True),
    Column("amount", Float(), nullable=True),
    Column("probability", Float(), nullable=True),
    Column("close_date", Date(), nullable=True),
    Column("is_closed", Boolean(), nullable=True),
    Column("is_won", Boolean(), nullable=True),
    Column("owner_email", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),
)

activity_events = Table(
    "activity_events",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("event_id", String(_APP_ID), primary_key=True),
    Column("prospect_id", String(_APP_ID), nullable=True),
    Column("user_id", String(_APP_ID), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("object_type", String(40), nullable=True),
    Column("object_id", String(_APP_ID), nullable=True),
    Column("object_name", Text(), nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
)

cadences = Table(
    "cadences",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("cadence_id", String(_APP_ID), primary_key=True),
    Column("name", Text(), nullable=False),
)

cadence_memberships = Table(
    "cadence_memberships",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("membership_id", String(_APP_ID), primary_key=True),
    Column("prospect_id", String(_APP_ID), nullable=False),
    Column("cadence_id", String(_APP_ID), nullable=False),
    Column("current_touch", Integer(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=True),
)

cadence_touches = Table(
    "cadence_touches",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("touch_id", String(_APP_ID), primary_key=True),
    Column("membership_id", String(_APP_ID), nullable=False),
    Column("prospect_id", String(_APP_ID), nullable=False),
    Column("user_id", String(_APP_ID), nullable=True),
    Column("touch_number", Integer(), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
)

# X3: a confirmed match per app record; confirming again replaces it. An input of every
# matching rebuild, never a result of one, so no rebuild can lose it.
match_overrides = Table(
    "match_overrides",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("entity", String(16), primary_key=True),
    Column("app_id", String(_APP_ID), primary_key=True),
    Column("crm_id", String(18), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=False),
)

manual_list_overrides = Table(
    "manual_list_overrides",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("user_id", String(_APP_ID), primary_key=True),
    Column("list", String(32), primary_key=True),
    Column("crm_id", String(18), primary_key=True),
    Column("at", UtcDateTime(), primary_key=True),
    Column("action", String(40), nullable=False),
)

auto_save_rule_selections = Table(
    "auto_save_rule_selections",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("user_id", String(_APP_ID), primary_key=True),
    # JSON lists of rule ids ("A1".."A3", "P1".."P5").
    Column("account_rules", json_type(), nullable=False),
    Column("lead_rules", json_type(), nullable=False),
)

push_requests = Table(
    "push_requests",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("request_id", String(_APP_ID), primary_key=True),
    Column("prospect_id", String(_APP_ID), nullable=False),
    Column("requested_by", String(_APP_ID), nullable=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
)

todos = Table(
    "todos",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("todo_id", String(_APP_ID), primary_key=True),
    Column("prospect_id", String(_APP_ID), nullable=False),
    Column("assignee_user_id", String(_APP_ID), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # When the push the to-do triggered (P4d) reached the CRM; NA while it waits.
    Column("pushed_at", UtcDateTime(), nullable=True),
)

# F4.9: the labels the app shows for mapped custom fields, as last taken from the CRM.
app_field_labels = Table(
    "app_field_labels",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("crm_object", String(80), primary_key=True),
    Column("crm_field", String(80), primary_key=True),
    Column("label", Text(), nullable=True),
)

# -- matching and field-sync asset tables (written by the IO manager) ---------------------------
matched_users = Table(
    "matched_users",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("user_id", String(_APP_ID), primary_key=True),
    Column("crm_user_id", String(18), nullable=False),
    Column("matched_by", String(16), nullable=False),
)

matched_prospects = Table(
    "matched_prospects",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("prospect_id", String(_APP_ID), primary_key=True),
    Column("crm_id", String(18), nullable=False),
    Column("crm_type", String(16), nullable=False),
    Column("matched_by", String(16), nullable=False),
    Column("candidates", Integer(), nullable=False),
    Column("ambiguous", Boolean(), nullable=False),
)

matched_accounts = Table(
    "matched_accounts",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("company_id", String(_APP_ID), primary_key=True),
    Column("crm_account_id", String(18), nullable=False),
    Column("matched_by", String(16), nullable=False),
    Column("candidates", Integer(), nullable=False),
    Column("ambiguous", Boolean(), nullable=False),
)

# The app → CRM changes due at the latest push, planned from the app at push time (P5–P7, F3, F7).
outbound_field_changes = Table(
    "outbound_field_changes",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("position", Integer(), primary_key=True),
    Column("object", String(32), nullable=False),
    Column("app_id", String(_APP_ID), nullable=False),
    Column("crm_type", String(16), nullable=True),
    Column("crm_id", String(18), nullable=True),
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
field_sync_base = Table(
    "field_sync_base",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("object", String(32), primary_key=True),
    Column("app_id", String(_APP_ID), primary_key=True),
    Column("crm_id", String(18), primary_key=True),
    Column("field", String(80), primary_key=True),
    Column("value", Text(), nullable=True),
    Column("synced_at", UtcDateTime(), nullable=True),
)

# F8: every change the connector applied, either way. The id is `<run>/<batch>/<position>`, so a
# step that is retried within its run rewrites its own rows instead of logging them twice.
connector_log = Table(
    "connector_log",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("object", String(32), nullable=False),
    Column("app_id", String(_APP_ID), nullable=True),
    Column("crm_type", String(16), nullable=True),
    Column("crm_id", String(18), nullable=True),
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
    return Table(
        name,
        metadata,
        Column("tenant_id", String(63), primary_key=True),
        Column("user_id", String(_APP_ID), primary_key=True),
        Column("crm_id", String(18), primary_key=True),
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
    Column("run_id", String(64), nullable=True),
    Column("user_id", String(_APP_ID), nullable=False),
    Column("list", String(32), nullable=False),
    Column("crm_id", String(18), nullable=False),
    Column("record_type", String(16), nullable=False),
    Column("change", String(8), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)


# L12: each user's total saved items, replaced with the lists by every rebuild.
saved_item_totals = Table(
    "saved_item_totals",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("user_id", String(_APP_ID), primary_key=True),
    Column("account_items", Integer(), nullable=False),
    Column("lead_and_contact_items", Integer(), nullable=False),
    Column("auto_items", Integer(), nullable=False),
    Column("manual_items", Integer(), nullable=False),
    Column("saved_items", Integer(), nullable=False),
    Column("counted_at", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=True),
)


# -- outbound pushes (P1–P8) ------------------------------------------------------------------------
# What each plan found to send, as core.outbound's push items (PUSH_COLUMNS), one table per plan.
PUSH_PLANS = (
    "activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes", "lead_score_updates",
    "field_updates", "campaign_pushes",
)


def _push_plan_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("tenant_id", String(63), primary_key=True),
        Column("position", Integer(), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("sobject", String(40), nullable=False),
        Column("operation", String(8), nullable=False),
        Column("external_id", String(80), nullable=False),
        Column("crm_id", String(18), nullable=True),
        Column("app_object", String(16), nullable=False),
        Column("app_id", String(_APP_ID), nullable=False),
        Column("who_prospect_id", String(_APP_ID), nullable=True),
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
crm_push_results = Table(
    "crm_push_results",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("sobject", String(40), primary_key=True),
    Column("external_id", String(80), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("app_object", String(16), nullable=False),
    Column("app_id", String(_APP_ID), nullable=False),
    Column("crm_id", String(18), nullable=True),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer(), nullable=False),
    # The fields the CRM confirmed, and the fields of the last attempt (JSON objects).
    Column("sent_fields", json_type(), nullable=True),
    Column("attempted_fields", json_type(), nullable=True),
    Column("error_code", String(80), nullable=True),
    Column("error_message", Text(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("run_id", String(64), nullable=True),
    Index("ix_crm_push_results_tenant_id_state", "tenant_id", "state"),
)


# -- cadence workflows (W1–W4) ------------------------------------------------------------------------
# Each action applied, once per (membership, change, workflow): the W3 "once per change" memory.
workflow_actions_applied = Table(
    "workflow_actions_applied",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("membership_id", String(_APP_ID), primary_key=True),
    Column("change_key", String(80), primary_key=True),
    Column("workflow", String(200), primary_key=True),
    Column("prospect_id", String(_APP_ID), nullable=False),
    Column("action", String(32), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=True),
)

# The SystemModstamp up to which each tenant's Lead and Contact changes have been evaluated.
workflow_cursors = Table(
    "workflow_cursors",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("evaluated_through", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)


# -- the sync chain and the interest threshold (S1, O4, P4c) ---------------------------------------
# Each tenant's last completed sync chain, and when and why a later sync stopped short of it.
sync_chains = Table(
    "sync_chains",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("completed_run_id", String(64), nullable=True),
    Column("incomplete_since", UtcDateTime(), nullable=True),
    Column("incomplete_reason", Text(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Whether each prospect's lead score was at or above the tenant's interest threshold when last seen,
# its latest crossing, and when the push that crossing triggered went out (NA while it waits).
interest_crossings = Table(
    "interest_crossings",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("prospect_id", String(_APP_ID), primary_key=True),
    Column("above", Boolean(), nullable=False),
    Column("crossed_at", UtcDateTime(), nullable=True),
    Column("pushed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)
