"""Indexes for the prospect sync's reads of one key range of CRM ids (issue 17): each range reads
its base rows (tenant, object, CRM ids from..to), which the base's primary key (tenant, object,
app id, ...) cannot serve, so at a large org every range scanned the tenant's whole base; and its
app prospects by the CRM id they store (tenant, CRM ids from..to, or none), which only the
prospects' primary key (tenant, prospect id) would otherwise serve.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_field_sync_base_tenant_id_object_crm_id", "field_sync_base", ["tenant_id", "object", "crm_id"]),
    ("ix_prospects_tenant_id_crm_id", "prospects", ["tenant_id", "crm_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
