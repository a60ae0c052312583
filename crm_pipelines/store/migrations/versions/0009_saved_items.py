"""Each user's total saved items (L12), written with every list rebuild.

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_item_totals",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("account_items", sa.Integer(), nullable=False),
        sa.Column("lead_and_contact_items", sa.Integer(), nullable=False),
        sa.Column("auto_items", sa.Integer(), nullable=False),
        sa.Column("manual_items", sa.Integer(), nullable=False),
        sa.Column("saved_items", sa.Integer(), nullable=False),
        sa.Column("counted_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_saved_item_totals"),
    )


def downgrade() -> None:
    op.drop_table("saved_item_totals")
