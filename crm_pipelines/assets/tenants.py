"""The `tenants` group: what each tenant partition is configured to do."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, asset

from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.settings_table import settings_table
from crm_pipelines.store.resource import DatabaseResource


@asset(**per_tenant("tenants", {"python", "sql"}, io_manager_key="tenant_io_manager"))
def tenant_settings(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource) -> pd.DataFrame:
    """The tenant's effective settings at the start of the run, one row per setting (S1–S4, F2,
    F4, L4, W1–W4), marked where they differ from the defaults. Credentials are shown as the names
    of the environment variables that hold them, never as values."""
    tenant = database.partition_tenant(context)
    table = settings_table(tenant.settings, captured_at=clock.now())
    changed = table.loc[~table["is_default"], ["setting", "value"]]
    context.add_output_metadata(
        {
            "status": tenant.status,
            "settings": len(table),
            "changed_from_default": len(changed),
            "changed": MetadataValue.md(changed.to_markdown(index=False) if len(changed) else "all defaults"),
            "crm_org": str(tenant.connection.login_url),
        }
    )
    return table
