"""Every asset of the code location, in one list: the definitions load it, and the sensors resolve
asset selections against it (the chain a resumed sync runs)."""

from dagster import load_assets_from_modules

from crm_pipelines.assets import (
    auto_save,
    extract,
    field_sync,
    field_sync_outbound,
    matching,
    outbound,
    outbound_delivery,
    push_refresh,
    sync_chain,
    tenants,
    workflows,
)
from crm_pipelines.assets.app import app_tables

ALL_ASSETS = [app_tables, *load_assets_from_modules([
    tenants, extract, sync_chain, matching, field_sync, field_sync_outbound, workflows, auto_save, outbound,
    outbound_delivery, push_refresh,
])]
