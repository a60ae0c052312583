"""An index for the opportunity sync's reads of one key range of CRM ids (issue 17): each range
reads the app's copies by the CRM id they store (tenant, CRM ids from..to), which the copies'
primary key (tenant, opportunity id) cannot serve.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

NAME = "ix_app_opportunities_tenant_id_crm_opportunity_id"


def upgrade() -> None:
    op.create_index(NAME, "app_opportunities", ["tenant_id", "crm_opportunity_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="app_opportunities")
