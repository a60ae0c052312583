"""The `tenant_settings` asset table: each tenant's effective settings as rows, one per run.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("setting", sa.String(200), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "setting", name="pk_tenant_settings"),
    )


def downgrade() -> None:
    op.drop_table("tenant_settings")
