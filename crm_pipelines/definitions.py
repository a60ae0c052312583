"""The one Definitions object of the crm_pipelines code location."""

import os

from dagster import Definitions, EnvVar

from crm_pipelines.assets.catalog import ALL_ASSETS
from crm_pipelines.assets.checks import extract_checks, linked_checks, list_checks
from crm_pipelines.automation.auto_save_rebuild import auto_save_rebuild_job, daily_list_rebuild
from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.automation.crm_sync import crm_sync_due, crm_sync_job, tenant_registry
from crm_pipelines.automation.freshness import fresh_for_tenant, tenant_freshness, tenant_freshness_report
from crm_pipelines.automation.outbound_push import outbound_push_job, outbound_push_schedule, push_triggers
from crm_pipelines.clock import ClockResource
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.memory import tune_allocators
from crm_pipelines.paths import DB_URL_ENV
from crm_pipelines.store.io_manager import TenantTableIOManager
from crm_pipelines.store.resource import DatabaseResource


def build_definitions(database_url: str | None = None, clock_offset_seconds: float = 0.0,
                      crm: CrmClientResource | None = None) -> Definitions:
    """The code location; `database_url` overrides $CRM_PIPELINES_DB_URL (tests, the demo); `crm`
    shares one CRM resource, and so its logins, between several Definitions (the demo's clocks)."""
    tune_allocators()  # in every process that loads the code location, before its first sync
    database_url = database_url if database_url is not None else _database_url_from_environment()
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=[*extract_checks, *list_checks, *linked_checks, fresh_for_tenant],
        jobs=[crm_sync_job, auto_save_rebuild_job, outbound_push_job, tenant_freshness_report],
        schedules=[daily_list_rebuild, outbound_push_schedule],
        sensors=[api_limit_backoff, tenant_registry, crm_sync_due, push_triggers, tenant_freshness],
        resources={
            "database": DatabaseResource(database_url=database_url),
            "tenant_io_manager": TenantTableIOManager(database_url=database_url),
            "crm": crm or CrmClientResource(),
            "clock": ClockResource(offset_seconds=clock_offset_seconds),
        },
    )


def _database_url_from_environment() -> EnvVar | None:
    """$CRM_PIPELINES_DB_URL as an EnvVar: a PostgreSQL URL carries its password, and Dagster shows an
    EnvVar's name, never its value, and reads it in the run's own process. Unset: the local SQLite file."""
    return EnvVar(DB_URL_ENV) if os.environ.get(DB_URL_ENV) else None


defs = build_definitions()
