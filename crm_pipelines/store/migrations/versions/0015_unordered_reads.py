"""A read that comes in no order (a Bulk API 2.0 query job) and stops before its last page: where
it stands, the latest record it has stored so far and when the CRM took its snapshot, kept beside
the object's cursor until the read ends (E2).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("extract_cursors") as batch:
        batch.add_column(sa.Column("read_resume_from", sa.Text(), nullable=True))
        batch.add_column(sa.Column("read_seen_modstamp", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("read_seen_id", sa.String(18), nullable=True))
        batch.add_column(sa.Column("read_started_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("extract_cursors") as batch:
        for column in ("read_started_at", "read_seen_id", "read_seen_modstamp", "read_resume_from"):
            batch.drop_column(column)
