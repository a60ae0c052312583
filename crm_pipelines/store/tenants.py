"""The tenant registry (T1, T2, T3): tenants and their settings, persisted as validated JSON.

Every change goes through the pydantic models first and is written in one transaction, so a
refused value leaves the stored tenant exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from crm_pipelines.settings import (
    ApiBudgetSettings,
    PushSettings,
    SyncSettings,
    Tenant,
    TenantSettings,
    check_can_add,
    validated,
)
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import tenants


class TenantRegistryError(ValueError):
    """A registry operation refused: the message says which tenant and why."""


class TenantNotFound(TenantRegistryError):
    pass


def _now() -> datetime:
    # Not crm_pipelines.clock.system_clock: that module loads Dagster, which `tenant list` must not.
    return datetime.now(UTC)


@dataclass(frozen=True)
class TenantSummary:
    """What `crm-pipelines tenant list` shows of a tenant, one line each."""

    id: str
    name: str
    status: str
    sync_frequency_minutes: int
    push_enabled: bool
    push_interval_minutes: int
    api_daily_limit: int | None
    login_url: str


# Where each setting `tenant list` shows lives in the stored settings, and its model.
_SUMMARY_SETTINGS: dict[str, tuple[str, str]] = {
    "sync_frequency_minutes": ("sync", "frequency_minutes"),
    "push_enabled": ("push", "enabled"),
    "push_interval_minutes": ("push", "interval_minutes"),
    "api_daily_limit": ("api_budget", "daily_limit"),
}
_SETTINGS_MODELS: dict[str, type] = {"sync": SyncSettings, "push": PushSettings, "api_budget": ApiBudgetSettings}


def _or_default(row: Mapping, name: str) -> object:
    # Stored settings were validated when written; a key an older version did not write has the
    # model's default. None of these settings may be null, so null means missing.
    value = row[name]
    if value is not None:
        return value
    group, key = _SUMMARY_SETTINGS[name]
    return _SETTINGS_MODELS[group].model_fields[key].default


class TenantRegistry:
    def __init__(self, db: Database, clock: Callable[[], datetime] = _now) -> None:
        self._db = db
        self._clock = clock

    # -- reading ---------------------------------------------------------------------------
    def get(self, tenant_id: str) -> Tenant:
        with self._db.engine.connect() as conn:
            return self._get(conn, tenant_id)

    def list(self) -> list[Tenant]:
        with self._db.engine.connect() as conn:
            rows = conn.execute(select(tenants).order_by(tenants.c.id)).mappings().all()
        return [_to_model(row) for row in rows]

    def summaries(self) -> list[TenantSummary]:
        """Every tenant's line of `tenant list`, by id, in one query and without validating each
        tenant's whole settings (a fleet of thousands lists in well under a second). The database
        picks the four settings out of each tenant's JSON: decoding every tenant's whole settings
        in Python was a quarter of the command's time at 5,000 tenants."""
        picked = [tenants.c.settings[path].label(name) for name, path in _SUMMARY_SETTINGS.items()]
        login_url = tenants.c.connection["login_url"].as_string().label("login_url")
        stmt = select(tenants.c.id, tenants.c.name, tenants.c.status, login_url, *picked)
        with self._db.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(tenants.c.id)).mappings().all()
        return [TenantSummary(
            id=row["id"], name=row["name"], status=row["status"],
            sync_frequency_minutes=int(_or_default(row, "sync_frequency_minutes")),
            push_enabled=bool(_or_default(row, "push_enabled")),
            push_interval_minutes=int(_or_default(row, "push_interval_minutes")),
            api_daily_limit=_or_default(row, "api_daily_limit"),
            login_url=row["login_url"]) for row in rows]

    def ids(self, *, status: str | None = None) -> list[str]:
        stmt = select(tenants.c.id).order_by(tenants.c.id)
        if status is not None:
            stmt = stmt.where(tenants.c.status == status)
        with self._db.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    # -- changing --------------------------------------------------------------------------
    def add(self, tenant: Tenant) -> Tenant:
        """Register a tenant with its one CRM connection (T2: one org serves one tenant)."""
        return self.add_many([tenant])[0]

    def add_many(self, new: list[Tenant]) -> list[Tenant]:
        """Register several tenants in one transaction: all of them, or none if one is refused.

        Each is refused if its id is taken or its org already serves a tenant (T2)."""
        now = self._clock()
        with self._db.transaction() as conn:
            ids: set[str] = set()
            on_org: dict[tuple[str, str], list[Tenant]] = {}
            for row in conn.execute(select(tenants).order_by(tenants.c.id)).mappings():
                stored = _to_model(row)
                ids.add(stored.id)
                on_org.setdefault(stored.connection.org_key(), []).append(stored)
            added = []
            for tenant in new:
                if tenant.id in ids:
                    raise TenantRegistryError(
                        f"tenant '{tenant.id}' already exists with its CRM connection; a tenant has exactly "
                        "one (T2): change its settings with `tenant set`, or remove it first"
                    )
                # Only the tenants on the same org can refuse it: checking against those alone keeps
                # seeding thousands of tenants linear.
                check_can_add(on_org.get(tenant.connection.org_key(), []), tenant)
                connected = validated(
                    Tenant, {**dict(tenant), "status": "connected", "connected_at": now, "disconnected_at": None}
                )
                ids.add(connected.id)
                on_org.setdefault(connected.connection.org_key(), []).append(connected)
                added.append(connected)
            if added:
                conn.execute(tenants.insert(), [_to_row(t, created_at=now, updated_at=now) for t in added])
        return added

    def set(self, tenant_id: str, updates: Mapping[str, str]) -> Tenant:
        """Apply dotted setting updates; all validated together, all or nothing."""
        def change(current: Tenant) -> Tenant:
            return current.with_settings(dict(updates))

        return self._update(tenant_id, change)

    def replace_settings(self, tenant_id: str, settings: TenantSettings) -> Tenant:
        return self._update(tenant_id, lambda t: Tenant.model_validate({**t.model_dump(), "settings": settings.model_dump()}))

    def disconnect(self, tenant_id: str) -> Tenant:
        """T3: no CRM reads or writes for the tenant from now on."""
        return self._update(tenant_id, lambda current: current.as_disconnected(self._clock()))

    def reconnect(self, tenant_id: str) -> Tenant:
        """T3: syncing resumes from the last committed cursors."""
        return self._update(tenant_id, lambda current: current.as_connected(self._clock()))

    def remove(self, tenant_id: str) -> None:
        with self._db.transaction() as conn:
            self._get(conn, tenant_id)
            conn.execute(tenants.delete().where(tenants.c.id == tenant_id))

    # -- internals -------------------------------------------------------------------------
    def _update(self, tenant_id: str, change: Callable[[Tenant], Tenant]) -> Tenant:
        with self._db.transaction() as conn:
            current = self._get(conn, tenant_id, for_update=True)
            updated = change(current)
            if updated.connection.org_key() != current.connection.org_key():
                raise TenantRegistryError(
                    f"tenant '{tenant_id}' already has a CRM connection to {current.connection.login_url}; "
                    "connecting a second org is refused (T2)"
                )
            conn.execute(
                tenants.update()
                .where(tenants.c.id == tenant_id)
                .values(**_to_row(updated, updated_at=self._clock()))
            )
        return updated

    def _get(self, conn: Connection, tenant_id: str, *, for_update: bool = False) -> Tenant:
        stmt = select(tenants).where(tenants.c.id == tenant_id)
        if for_update and conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise TenantNotFound(f"no tenant '{tenant_id}' (known: {', '.join(self._known(conn)) or 'none'})")
        return _to_model(row)

    @staticmethod
    def _known(conn: Connection) -> list[str]:
        return list(conn.execute(select(tenants.c.id).order_by(tenants.c.id)).scalars())


def _to_row(tenant: Tenant, **stamps: datetime) -> dict:
    return {
        "id": tenant.id,
        "name": tenant.name,
        "crm_kind": tenant.connection.kind,
        "connection": tenant.connection.model_dump(mode="json"),
        "settings": tenant.settings.model_dump(mode="json"),
        "status": tenant.status,
        "connected_at": tenant.connected_at,
        "disconnected_at": tenant.disconnected_at,
        **stamps,
    }


# Validating a tenant's settings costs about a millisecond (its workflows, mappings and rules are
# checked against each other), a second per tick for a thousand tenants. A long-lived process (the
# code server evaluating every tick) keeps each tenant as last validated, and validates again only
# a stored row that differs from the one it validated.
_validated: dict[str, tuple[tuple, Tenant]] = {}


def _to_model(row: Mapping) -> Tenant:
    stored = (row["name"], row["connection"], row["settings"], row["status"], row["connected_at"],
              row["disconnected_at"])
    known = _validated.get(row["id"])
    if known is not None and known[0] == stored:
        return known[1]
    tenant = Tenant.model_validate(
        {
            "id": row["id"],
            "name": row["name"],
            "connection": row["connection"],
            "settings": row["settings"],
            "status": row["status"],
            "connected_at": row["connected_at"],
            "disconnected_at": row["disconnected_at"],
        }
    )
    _validated[row["id"]] = (stored, tenant)
    return tenant
