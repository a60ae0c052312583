"""The `auto_save` group: every matched user's "My CRM Accounts" and "My CRM Leads and Contacts"
(L1–L12), rebuilt once a day from the extracted CRM objects, under each user's rules, the cap of
1,000 and its priority, with manual adds and removals, and frozen while the tenant is disconnected
or has auto-save off. List building only reads the warehouse; it never calls the CRM (L11)."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MetadataValue, multi_asset

from crm_pipelines.assets.app import APP_ASSET_KEYS
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.auto_save import rebuild_lists
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.auto_save_lists import CRM_INPUTS, load_inputs, write_rebuild
from crm_pipelines.store.resource import DatabaseResource

_DEPS = [
    *(AssetKey(BY_NAME[name].asset) for name in CRM_INPUTS.values()),
    AssetKey("matched_users"),
    APP_ASSET_KEYS["auto_save_rule_selections"],
    APP_ASSET_KEYS["manual_list_overrides"],
]
_SPEC = dict(group_name="auto_save", deps=_DEPS, kinds={"python", "sql"}, owners=OWNERS,
             code_version="2")  # 2: records deleted in the CRM leave the lists


@multi_asset(
    specs=[
        AssetSpec("auto_save_account_lists", **_SPEC, description=(
            "\"My CRM Accounts\" of every app user matched to a CRM user: one row per user and account, with the "
            "rules that put it there (A1 open opportunities, A2 owned, A3 account team, or manual), when it was "
            "added, and whether it is live. A record deleted in the CRM leaves every list at the next rebuild, with "
            "the reason 'deleted in the CRM'. At most 1,000 per user, by L5's priority.")),
        AssetSpec("auto_save_lead_lists", **_SPEC, description=(
            "\"My CRM Leads and Contacts\" of every matched user: one row per user and lead or contact, with the "
            "rules (P1–P5, or manual), when it was added, and whether it is live; records deleted in the CRM leave "
            "it. At most 1,000 per user.")),
    ],
    partitions_def=tenant_partitions,
    can_subset=False,
)
def auto_save_lists(context: AssetExecutionContext, database: DatabaseResource, clock: ClockResource):
    db, tenant_id = database.db(), context.partition_key
    now = clock.now()
    result = rebuild_lists(load_inputs(db, database.tenants().get(tenant_id), rebuild_only=True), now)
    saved = result.saved_items
    if result.frozen_reason is None:
        write_rebuild(db, tenant_id, result.lists, result.changes, saved, counted_at=now, run_id=context.run.run_id)
    figures = result.metadata()
    common = {
        "frozen": figures["frozen"],
        "users_with_lists": figures["users_with_lists"],
        # L12: stored per user in saved_item_totals, with the lists.
        "saved_items": int(saved["saved_items"].sum()),
        "saved_items_per_user": MetadataValue.md(saved.head(20).to_markdown(index=False) if len(saved) else "no users"),
        "changes": MetadataValue.md(result.changes.head(20).to_markdown(index=False) if len(result.changes) else "no changes"),
    }
    yield counted(context, db, {**common, **_own(figures, "accounts")}, asset_key="auto_save_account_lists")
    yield counted(context, db, {**common, **_own(figures, "leads_and_contacts")}, asset_key="auto_save_lead_lists")


def _own(figures: dict, list_name: str) -> dict:
    """The figures of one of the two lists."""
    return {k: v for k, v in figures.items() if k.startswith(f"{list_name}_")}
