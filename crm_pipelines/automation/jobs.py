"""The jobs (O2), each run for one tenant partition."""

from dagster import AssetSelection, define_asset_job

from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.partitions import tenant_partitions

crm_sync_job = define_asset_job(
    CRM_SYNC_JOB,
    selection=AssetSelection.groups("tenants", "crm_extract"),
    partitions_def=tenant_partitions,
    description="CRM → app for one tenant: extraction of every CRM object within the tenant's API budget.",
)

JOBS_BY_NAME = {CRM_SYNC_JOB: crm_sync_job}
