"""The database as a Dagster resource, for assets that read the registry or write transactionally."""

from __future__ import annotations

from collections.abc import Callable

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from crm_pipelines.settings import Tenant
from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.tenants import TenantRegistry


class DatabaseResource(ConfigurableResource):
    """The crm_pipelines database: app tables, warehouse and pipeline state."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default $CRM_PIPELINES_DB_URL or the local SQLite file.",
    )
    # Set for the length of a run (Dagster gives each run its own copy of the resource).
    _run_tenants: dict[str, Tenant] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:  # noqa: ARG002
        self._run_tenants = {}

    def db(self) -> Database:
        return open_database(self.database_url)

    def tenants(self) -> TenantRegistry:
        """The registry; within a run, each tenant is read once and seen by every asset of the run
        as it was then (a sync's twenty-odd steps agree on its settings and status, and do not each
        query and validate the same row)."""
        if self._run_tenants is None:
            return TenantRegistry(self.db())
        return RunTenants(self.db(), self._run_tenants)


class RunTenants(TenantRegistry):
    """The registry as one run reads it: `get` answers from the tenants this run already read; a
    change made through it forgets the changed tenant, so the run's next `get` reads it again."""

    def __init__(self, db: Database, read: dict[str, Tenant]) -> None:
        super().__init__(db)
        self._read = read

    def get(self, tenant_id: str) -> Tenant:
        if tenant_id not in self._read:
            self._read[tenant_id] = super().get(tenant_id)
        return self._read[tenant_id]

    def _update(self, tenant_id: str, change: Callable[[Tenant], Tenant]) -> Tenant:
        self._read.pop(tenant_id, None)
        return super()._update(tenant_id, change)

    def remove(self, tenant_id: str) -> None:
        self._read.pop(tenant_id, None)
        super().remove(tenant_id)
