"""The jobs (O2), each run for one tenant partition."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from crm_pipelines.assets.extract import CRM_SYNC_JOB
from crm_pipelines.assets.outbound_delivery import OUTBOUND_PUSH_JOB
from crm_pipelines.assets.sync_chain import SYNC_CHAIN_GROUP
from crm_pipelines.automation.freshness import FRESH_CHECK_KEY

# What follows the extraction in a sync: resumed with the deferred objects of a deferred sync.
AFTER_EXTRACTION = AssetSelection.groups(SYNC_CHAIN_GROUP, "matching", "field_sync", "workflows")

crm_sync_job = define_asset_job(
    CRM_SYNC_JOB,
    # The freshness check is recorded by the tenant_freshness sensor's reports, not by every sync.
    selection=(AssetSelection.groups("tenants", "crm_extract") | AFTER_EXTRACTION) - AssetSelection.checks(FRESH_CHECK_KEY),
    description="CRM → app for one tenant: extraction of every CRM object within the tenant's API budget, "
    "then, once the extraction is complete (nothing deferred), matching of users, prospects and companies, the "
    "field sync CRM → app (three-way per field, F3), the cadence workflows on the records that changed, "
    "and the sync's completion.",
    # One process per run: the objects of a tenant are read one after another with one login,
    # which is what the tenant's API budget and the org's concurrency limit want anyway; tenants
    # run in parallel as separate runs.
    executor_def=in_process_executor,
)

outbound_push_job = define_asset_job(
    OUTBOUND_PUSH_JOB,
    selection=AssetSelection.groups("outbound"),
    description="App → CRM for one tenant: the CRM's Leads, Contacts and Campaigns read again (incrementally), "
    "the field changes due from the app as it is now against them (F3), the push plans "
    "(activity and touch Tasks, new Leads, contact pushes, "
    "lead scores, field updates, campaigns) and their delivery in composite calls within the API budget, each "
    "record once, by its external id (P1–P8).",
    # One process: the batches of one tenant go one after another through one login and one budget.
    executor_def=in_process_executor,
)

JOBS_BY_NAME = {CRM_SYNC_JOB: crm_sync_job, OUTBOUND_PUSH_JOB: outbound_push_job}

auto_save_rebuild_job = define_asset_job(
    "auto_save_rebuild",
    selection=AssetSelection.groups("auto_save"),
    description="The daily rebuild of one tenant's auto-save lists (L1–L12); reads the warehouse, never the CRM.",
    executor_def=in_process_executor,
)
