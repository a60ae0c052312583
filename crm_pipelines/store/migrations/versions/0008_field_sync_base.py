"""Three-way field sync (F3): the last synced value of every two-way field of a linked pair, each
app record's per-field change times, and the push plans' per-field reasons (a conflict the app
won is logged as one when delivered).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PUSH_PLANS = (
    "activity_event_tasks", "touch_outcome_tasks", "new_crm_leads", "contact_pushes", "lead_score_updates",
    "field_updates", "campaign_pushes",
)


def upgrade() -> None:
    op.create_table(
        "field_sync_base",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("object", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("synced_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "object", "app_id", "crm_id", "field", name="pk_field_sync_base"),
    )
    for table in ("prospects", "app_campaigns"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("field_changed_at", json_type(), nullable=True))
    for table in PUSH_PLANS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("reasons", json_type(), nullable=True))


def downgrade() -> None:
    for table in reversed(PUSH_PLANS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reasons")
    for table in ("app_campaigns", "prospects"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("field_changed_at")
    op.drop_table("field_sync_base")
