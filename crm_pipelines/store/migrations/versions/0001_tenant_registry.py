"""The tenant registry (T1, T2).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("crm_kind", sa.String(32), nullable=False),
        sa.Column("login_url", sa.String(500), nullable=False),
        sa.Column("connection", json_type(), nullable=False),
        sa.Column("settings", json_type(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("connected_at", UtcDateTime(), nullable=True),
        sa.Column("disconnected_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )


def downgrade() -> None:
    op.drop_table("tenants")
