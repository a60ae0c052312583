"""The CRM's URL is kept in one place, the tenant's connection (`connection.login_url`): the
registry's `login_url` column, a copy of it, goes.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import json_type

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_tenants = sa.table(
    "tenants", sa.column("id", sa.String()), sa.column("connection", json_type()), sa.column("login_url", sa.String())
)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("login_url")


def downgrade() -> None:
    # The older version lists tenants from the column: fill it from the connection it copied.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("login_url", sa.String(500), nullable=True))
    conn = op.get_bind()
    for tenant_id, connection in conn.execute(sa.select(_tenants.c.id, _tenants.c.connection)).all():
        conn.execute(_tenants.update().where(_tenants.c.id == tenant_id).values(
            login_url=(connection or {}).get("login_url", "")))
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("login_url", existing_type=sa.String(500), nullable=False)
