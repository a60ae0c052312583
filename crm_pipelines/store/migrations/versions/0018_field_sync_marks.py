"""What the last ranged prospect comparison saw (issue 17): synced_prospects and
outbound_field_changes compare again only the key ranges that changed since.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_sync_marks",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("asset", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("committed_at", UtcDateTime(), nullable=True),
        sa.Column("extracted_until", UtcDateTime(), nullable=True),
        sa.Column("history_until", UtcDateTime(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("output_digest", sa.String(64), nullable=True),
        sa.Column("seen", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "asset", name="pk_field_sync_marks"),
    )


def downgrade() -> None:
    op.drop_table("field_sync_marks")
