"""Cadence workflows (W1–W4, F8): the actions applied once per change, each tenant's evaluation
cursor, and a detail column in the connector log for the workflow's words.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_actions_applied",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("membership_id", sa.String(64), nullable=False),
        sa.Column("change_key", sa.String(80), nullable=False),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("prospect_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "membership_id", "change_key", "workflow",
                                name="pk_workflow_actions_applied"),
    )
    op.create_table(
        "workflow_cursors",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("evaluated_through", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_workflow_cursors"),
    )
    with op.batch_alter_table("connector_log") as batch:
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connector_log") as batch:
        batch.drop_column("detail")
    op.drop_table("workflow_cursors")
    op.drop_table("workflow_actions_applied")
