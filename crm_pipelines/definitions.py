"""The one Definitions object of the crm_pipelines code location."""

from dagster import Definitions, load_assets_from_modules

from crm_pipelines.assets import tenants as tenant_assets
from crm_pipelines.store.io_manager import TenantTableIOManager
from crm_pipelines.store.resource import DatabaseResource


def build_definitions(database_url: str | None = None) -> Definitions:
    """The code location; `database_url` overrides $CRM_PIPELINES_DB_URL (tests, the demo)."""
    return Definitions(
        assets=load_assets_from_modules([tenant_assets]),
        resources={
            "database": DatabaseResource(database_url=database_url),
            "tenant_io_manager": TenantTableIOManager(database_url=database_url),
        },
    )


defs = build_definitions()
