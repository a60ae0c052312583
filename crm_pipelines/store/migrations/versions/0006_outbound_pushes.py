"""Outbound pushes (P1–P8): one table per push plan, the delivery ledger, and when a to-do's push
reached the CRM.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PUSH_PLANS = (
    "activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes", "lead_score_updates",
    "field_updates", "campaign_pushes",
)


def _plan_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("sobject", sa.String(40), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("external_id", sa.String(80), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=True),
        sa.Column("app_object", sa.String(16), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("who_prospect_id", sa.String(64), nullable=True),
        sa.Column("fields", json_type(), nullable=True),
        sa.Column("app_fields", json_type(), nullable=True),
        sa.Column("old_values", json_type(), nullable=True),
        sa.Column("triggers", sa.Text(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "position", name=f"pk_{name}"),
    )


def upgrade() -> None:
    with op.batch_alter_table("todos") as batch:
        batch.add_column(sa.Column("pushed_at", UtcDateTime(), nullable=True))
    for name in PUSH_PLANS:
        _plan_table(name)
    op.create_table(
        "crm_push_results",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("sobject", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("app_object", sa.String(16), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_fields", json_type(), nullable=True),
        sa.Column("attempted_fields", json_type(), nullable=True),
        sa.Column("error_code", sa.String(80), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "sobject", "external_id", name="pk_crm_push_results"),
    )
    op.create_index("ix_crm_push_results_tenant_id_state", "crm_push_results", ["tenant_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_crm_push_results_tenant_id_state", table_name="crm_push_results")
    op.drop_table("crm_push_results")
    for name in reversed(PUSH_PLANS):
        op.drop_table(name)
    with op.batch_alter_table("todos") as batch:
        batch.drop_column("pushed_at")
