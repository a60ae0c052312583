"""The database as a Dagster resource, for assets that read the registry or write transactionally."""

from __future__ import annotations

from datetime import datetime

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr
from sqlalchemy import select

from crm_pipelines.settings import Tenant
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.tables import tenants
from crm_pipelines.store.tenants import TenantRegistry


class DatabaseResource(ConfigurableResource):
    """The crm_pipelines database: app tables, warehouse and pipeline state."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default $CRM_PIPELINES_DB_URL or the local SQLite file.",
    )
    # Set for the length of a run (Dagster gives each run its own copy of the resource).
    _run_tenants: dict[str, tuple[datetime, Tenant]] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:  # noqa: ARG002
        self._run_tenants = {}

    def db(self) -> Database:
        return open_database(self.database_url)

    def tenants(self) -> TenantRegistry:
        """The registry; within a run, a tenant's row is read and validated once and given again to
        every later step of the run for as long as the stored row has not changed since."""
        if self._run_tenants is None:
            return TenantRegistry(self.db())
        return RunTenants(self.db(), self._run_tenants)

    def partition_tenant(self, context) -> Tenant:
        """The tenant whose partition `context` (an asset's or a check's) runs for."""
        return self.tenants().get(context.partition_key)


class RunTenants(TenantRegistry):
    """The registry as one run reads it. A sync's twenty-odd steps each ask for the tenant; reading
    and validating its whole row (connection, every setting) each time was most of the registry's
    share of the run. Each `get` still asks the database when the row last changed, so a setting
    changed or a tenant disconnected mid-run is seen by the next step, as always (T3)."""

    def __init__(self, db: Database, read: dict[str, tuple[datetime, Tenant]]) -> None:
        super().__init__(db)
        self._read = read

    def get(self, tenant_id: str) -> Tenant:
        with self._db.engine.connect() as conn:
            changed_at = conn.execute(select(tenants.c.updated_at).where(tenants.c.id == tenant_id)).scalar_one_or_none()
        known = self._read.get(tenant_id)
        if known is None or changed_at is None or known[0] != changed_at:
            # Unknown, removed (super().get says so) or changed: read it whole.
            known = (changed_at, super().get(tenant_id))
            self._read[tenant_id] = known
        return known[1]
