"""The database as a Dagster resource, for assets that read the registry or write transactionally."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from crm_pipelines.store.database import Database, open_database
from crm_pipelines.store.tenants import TenantRegistry


class DatabaseResource(ConfigurableResource):
    """The crm_pipelines database: app tables, warehouse and pipeline state."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default $CRM_PIPELINES_DB_URL or the local SQLite file.",
    )

    def db(self) -> Database:
        return open_database(self.database_url)

    def tenants(self) -> TenantRegistry:
        return TenantRegistry(self.db())
