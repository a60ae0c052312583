"""Hard deletes and the org's shared quota (E3, S1): how far each object's deletions have been
read from the CRM's delete log, and which run last read the org's own API usage.

Revision ID: 0011
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("extract_cursors") as batch:
        batch.add_column(sa.Column("deletes_covered_until", UtcDateTime(), nullable=True))
    with op.batch_alter_table("crm_org_limits") as batch:
        batch.add_column(sa.Column("run_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_org_limits") as batch:
        batch.drop_column("run_id")
    with op.batch_alter_table("extract_cursors") as batch:
        batch.drop_column("deletes_covered_until")
