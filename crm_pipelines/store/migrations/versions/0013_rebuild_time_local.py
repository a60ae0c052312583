"""Tenants have a time zone (default UTC) and their rebuild time is local to it: each stored
`auto_save.daily_rebuild_utc` becomes `auto_save.daily_rebuild_at`. A stored tenant has no zone, so
is in UTC, where both name the same instants.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import json_type

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_tenants = sa.table("tenants", sa.column("id", sa.String()), sa.column("settings", json_type()))


def _renamed(old: str, new: str) -> None:
    conn = op.get_bind()
    for tenant_id, settings in conn.execute(sa.select(_tenants.c.id, _tenants.c.settings)).all():
        auto_save = (settings or {}).get("auto_save")
        if not isinstance(auto_save, dict) or old not in auto_save:
            continue
        auto_save = {(new if key == old else key): value for key, value in auto_save.items()}
        conn.execute(_tenants.update().where(_tenants.c.id == tenant_id).values(
            settings={**settings, "auto_save": auto_save}))


def upgrade() -> None:
    _renamed("daily_rebuild_utc", "daily_rebuild_at")


def downgrade() -> None:
    # The older version knows no zones: a tenant's local time is only its UTC time in UTC.
    conn = op.get_bind()
    for tenant_id, settings in conn.execute(sa.select(_tenants.c.id, _tenants.c.settings)).all():
        if (settings or {}).get("time_zone", "UTC") != "UTC":
            raise RuntimeError(f"tenant {tenant_id!r} is in {settings['time_zone']}: set its time_zone to UTC "
                               "(and its auto_save.daily_rebuild_at to the UTC time) before downgrading")
        if "time_zone" in settings:
            conn.execute(_tenants.update().where(_tenants.c.id == tenant_id).values(
                settings={key: value for key, value in settings.items() if key != "time_zone"}))
    _renamed("daily_rebuild_at", "daily_rebuild_utc")
