"""The sync chain and the interest threshold (S1, O4, P4c): each tenant's last completed CRM sync
chain (extraction, matching, field sync, workflows) and whether a later sync stopped short of it;
and, per prospect, whether its lead score was at or above the tenant's interest threshold when last
seen and its latest crossing, until the push it triggered went out.

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_chains",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_run_id", sa.String(64), nullable=True),
        sa.Column("incomplete_since", UtcDateTime(), nullable=True),
        sa.Column("incomplete_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_sync_chains"),
    )
    op.create_table(
        "interest_crossings",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("above", sa.Boolean(), nullable=False),
        sa.Column("crossed_at", UtcDateTime(), nullable=True),
        sa.Column("pushed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "prospect_id", name="pk_interest_crossings"),
    )


def downgrade() -> None:
    op.drop_table("interest_crossings")
    op.drop_table("sync_chains")
