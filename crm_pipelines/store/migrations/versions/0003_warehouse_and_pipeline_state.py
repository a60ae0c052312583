"""The warehouse of extracted CRM objects (E1–E7) and the pipeline state: cursors, the API-budget
ledger, the org's own limit, deferrals, field labels and rejected records.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TABLES = (
    "crm_users", "crm_accounts", "crm_account_team_members", "crm_contacts", "crm_leads",
    "crm_opportunities", "crm_opportunity_contact_roles", "crm_campaigns", "extract_cursors",
    "api_calls", "crm_org_limits", "deferrals", "crm_field_labels", "crm_rejected_records",
)


def upgrade() -> None:
    op.create_table(
        "crm_users",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("manager_id", sa.String(18), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_users"),
    )
    op.create_table(
        "crm_accounts",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(18), nullable=True),
        sa.Column("parent_id", sa.String(18), nullable=True),
        sa.Column("billing_city", sa.Text(), nullable=True),
        sa.Column("billing_country", sa.Text(), nullable=True),
        sa.Column("number_of_employees", sa.BigInteger(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("master_record_id", sa.String(18), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_accounts"),
    )
    op.create_table(
        "crm_account_team_members",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("account_id", sa.String(18), nullable=True),
        sa.Column("user_id", sa.String(18), nullable=True),
        sa.Column("team_member_role", sa.Text(), nullable=True),
        sa.Column("account_access_level", sa.Text(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_account_team_members"),
    )
    op.create_table(
        "crm_contacts",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("account_id", sa.String(18), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("mailing_city", sa.Text(), nullable=True),
        sa.Column("mailing_country", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(18), nullable=True),
        sa.Column("lead_source", sa.Text(), nullable=True),
        sa.Column("has_opted_out_of_email", sa.Boolean(), nullable=True),
        sa.Column("master_record_id", sa.String(18), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_contacts"),
    )
    op.create_table(
        "crm_leads",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("lead_source", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(18), nullable=True),
        sa.Column("is_converted", sa.Boolean(), nullable=True),
        sa.Column("converted_date", sa.Date(), nullable=True),
        sa.Column("converted_account_id", sa.String(18), nullable=True),
        sa.Column("converted_contact_id", sa.String(18), nullable=True),
        sa.Column("converted_opportunity_id", sa.String(18), nullable=True),
        sa.Column("has_opted_out_of_email", sa.Boolean(), nullable=True),
        sa.Column("master_record_id", sa.String(18), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_leads"),
    )
    op.create_table(
        "crm_opportunities",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("account_id", sa.String(18), nullable=True),
        sa.Column("owner_id", sa.String(18), nullable=True),
        sa.Column("stage_name", sa.Text(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=True),
        sa.Column("is_won", sa.Boolean(), nullable=True),
        sa.Column("campaign_id", sa.String(18), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_opportunities"),
    )
    op.create_table(
        "crm_opportunity_contact_roles",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("opportunity_id", sa.String(18), nullable=True),
        sa.Column("contact_id", sa.String(18), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_opportunity_contact_roles"),
    )
    op.create_table(
        "crm_campaigns",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("created_date", UtcDateTime(), nullable=True),
        sa.Column("last_modified_date", UtcDateTime(), nullable=True),
        sa.Column("system_modstamp", UtcDateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.String(18), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("mapped_fields", json_type(), nullable=True),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_crm_campaigns"),
    )
    op.create_table(
        "extract_cursors",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("sobject", sa.String(80), nullable=False),
        sa.Column("cursor_modstamp", UtcDateTime(), nullable=True),
        sa.Column("cursor_id", sa.String(18), nullable=True),
        sa.Column("full_sync_completed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "sobject", name="pk_extract_cursors"),
    )
    op.create_table(
        "api_calls",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "bucket_start", name="pk_api_calls"),
    )
    op.create_table(
        "crm_org_limits",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("max", sa.BigInteger(), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_crm_org_limits"),
    )
    op.create_table(
        "deferrals",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("job", sa.String(40), nullable=False),
        sa.Column("objects", json_type(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resume_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deferrals"),
    )
    op.create_index("ix_deferrals_tenant_id", "deferrals", ["tenant_id"])
    op.create_table(
        "crm_field_labels",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("sobject", sa.String(80), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("previous_label", sa.Text(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "sobject", "field", name="pk_crm_field_labels"),
    )
    op.create_table(
        "crm_rejected_records",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("sobject", sa.String(80), nullable=False),
        sa.Column("record_id", sa.String(18), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", json_type(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("rejected_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crm_rejected_records"),
    )
    op.create_index("ix_crm_rejected_records_tenant_id", "crm_rejected_records", ["tenant_id"])


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
