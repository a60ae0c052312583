"""Field history (F3): when each field of a CRM record last changed in the CRM, read from the
org's LeadHistory, ContactHistory and CampaignHistory where it tracks them.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_field_changes",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("sobject", sa.String(80), nullable=False),
        sa.Column("record_id", sa.String(18), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("extracted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "sobject", "record_id", "field", name="pk_crm_field_changes"),
    )


def downgrade() -> None:
    op.drop_table("crm_field_changes")
