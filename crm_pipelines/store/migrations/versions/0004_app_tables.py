"""The app's own tables (users, prospects, companies, campaigns, opportunity copies and stages,
activity, cadences, overrides, push requests, to-dos, field labels), the matching and field-sync
asset tables, and the connector log (F8).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TABLES = (
    "app_users",
    "prospects",
    "companies",
    "app_campaigns",
    "opportunity_stages",
    "app_opportunities",
    "activity_events",
    "cadences",
    "cadence_memberships",
    "cadence_touches",
    "match_overrides",
    "manual_list_overrides",
    "auto_save_rule_selections",
    "push_requests",
    "todos",
    "app_field_labels",
    "matched_users",
    "matched_prospects",
    "matched_accounts",
    "outbound_field_changes",
    "connector_log",
)


def upgrade() -> None:
    op.create_table(
        "app_users",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_app_users"),
    )
    op.create_table(
        "prospects",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=True),
        sa.Column("crm_type", sa.String(16), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("lead_source", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("lead_score", sa.Float(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=True),
        sa.Column("persona", sa.Text(), nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("owner_user_id", sa.String(64), nullable=True),
        sa.Column("owner_email", sa.Text(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("merged_into", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("last_activity_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "prospect_id", name="pk_prospects"),
    )
    op.create_table(
        "companies",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("crm_account_id", sa.String(18), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("employee_count", sa.Float(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("tier", sa.Text(), nullable=True),
        sa.Column("owner_email", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "company_id", name="pk_companies"),
    )
    op.create_table(
        "app_campaigns",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("crm_campaign_id", sa.String(18), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("owner_email", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "campaign_id", name="pk_app_campaigns"),
    )
    op.create_table(
        "opportunity_stages",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("stage_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=True),
        sa.Column("is_won", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "stage_id", name="pk_opportunity_stages"),
    )
    op.create_table(
        "app_opportunities",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("opportunity_id", sa.String(64), nullable=False),
        sa.Column("crm_opportunity_id", sa.String(18), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("company_id", sa.String(64), nullable=True),
        sa.Column("campaign_id", sa.String(64), nullable=True),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=True),
        sa.Column("is_won", sa.Boolean(), nullable=True),
        sa.Column("owner_email", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "opportunity_id", name="pk_app_opportunities"),
    )
    op.create_table(
        "activity_events",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=True),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.Column("object_name", sa.Text(), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_activity_events"),
    )
    op.create_table(
        "cadences",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("cadence_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "cadence_id", name="pk_cadences"),
    )
    op.create_table(
        "cadence_memberships",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("membership_id", sa.String(64), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("cadence_id", sa.String(64), nullable=False),
        sa.Column("current_touch", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "membership_id", name="pk_cadence_memberships"),
    )
    op.create_table(
        "cadence_touches",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("touch_id", sa.String(64), nullable=False),
        sa.Column("membership_id", sa.String(64), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("touch_number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "touch_id", name="pk_cadence_touches"),
    )
    op.create_table(
        "match_overrides",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "entity", "app_id", name="pk_match_overrides"),
    )
    op.create_table(
        "manual_list_overrides",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("list", sa.String(32), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "list", "crm_id", "at", name="pk_manual_list_overrides"),
    )
    op.create_table(
        "auto_save_rule_selections",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("account_rules", json_type(), nullable=False),
        sa.Column("lead_rules", json_type(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_auto_save_rule_selections"),
    )
    op.create_table(
        "push_requests",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "request_id", name="pk_push_requests"),
    )
    op.create_table(
        "todos",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("todo_id", sa.String(64), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("assignee_user_id", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "todo_id", name="pk_todos"),
    )
    op.create_table(
        "app_field_labels",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("crm_object", sa.String(80), nullable=False),
        sa.Column("crm_field", sa.String(80), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "crm_object", "crm_field", name="pk_app_field_labels"),
    )
    op.create_table(
        "matched_users",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("crm_user_id", sa.String(18), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_matched_users"),
    )
    op.create_table(
        "matched_prospects",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("crm_type", sa.String(16), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "prospect_id", name="pk_matched_prospects"),
    )
    op.create_table(
        "matched_accounts",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("crm_account_id", sa.String(18), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "company_id", name="pk_matched_accounts"),
    )
    op.create_table(
        "outbound_field_changes",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("object", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("crm_type", sa.String(16), nullable=True),
        sa.Column("crm_id", sa.String(18), nullable=True),
        sa.Column("field", sa.String(80), nullable=True),
        sa.Column("crm_field", sa.String(80), nullable=True),
        sa.Column("field_type", sa.String(16), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "position", name="pk_outbound_field_changes"),
    )
    op.create_table(
        "connector_log",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("object", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=True),
        sa.Column("crm_type", sa.String(16), nullable=True),
        sa.Column("crm_id", sa.String(18), nullable=True),
        sa.Column("field", sa.String(80), nullable=True),
        sa.Column("crm_field", sa.String(80), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_connector_log"),
    )
    op.create_index("ix_connector_log_tenant_id_app_id", "connector_log", ["tenant_id", "app_id"])
    op.create_index("ix_connector_log_tenant_id_at", "connector_log", ["tenant_id", "at"])
    op.create_index("ix_connector_log_tenant_id_crm_id", "connector_log", ["tenant_id", "crm_id"])


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
