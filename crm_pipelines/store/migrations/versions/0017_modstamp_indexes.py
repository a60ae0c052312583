"""Indexes on the Leads' and Contacts' SystemModstamp within a tenant (issue 17): the cadence
workflows read the latest SystemModstamp of each at every sync, and the records modified since
their cursor when they are on; with only the (tenant, id) primary key both scanned the tenant's
whole table, so at a large org every sync read every Lead and Contact for a handful of changes.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_crm_leads_tenant_id_system_modstamp", "crm_leads", ["tenant_id", "system_modstamp"]),
    ("ix_crm_contacts_tenant_id_system_modstamp", "crm_contacts", ["tenant_id", "system_modstamp"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
