"""Auto-save lists (L1–L12): each user's "My CRM Accounts" and "My CRM Leads and Contacts", and the
log of what each rebuild added and removed, with the reason.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _list_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("list", sa.String(32), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "crm_id", name=f"pk_{name}"),
    )


def upgrade() -> None:
    _list_table("auto_save_account_lists")
    _list_table("auto_save_lead_lists")
    op.create_table(
        "auto_save_changes",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("list", sa.String(32), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("change", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auto_save_changes"),
    )
    op.create_index("ix_auto_save_changes_tenant_id", "auto_save_changes", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("auto_save_changes")
    op.drop_table("auto_save_lead_lists")
    op.drop_table("auto_save_account_lists")
