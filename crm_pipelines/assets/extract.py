"""The `crm_extract` group: one asset per CRM object (E1), each tenant's records in the warehouse.

Each asset reads its object incrementally from the tenant's CRM within the tenant's API budget,
commits rows and cursor together, and, when the budget or the CRM says "not now", keeps what it
got, records a deferral for the `api_limit_backoff` sensor and ends with `deferred` metadata.
"""

from collections.abc import Callable, Sequence

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.assets.deferred_runs import require_connected, settle_deferral
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import CRM_OBJECTS, ExtractedObject
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.exchange.extraction import ObjectSync, read_in_turn
from crm_pipelines.settings import Tenant
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.database import Database
from crm_pipelines.store.resource import DatabaseResource

CRM_SYNC_JOB = "crm_sync"


def _extract_asset(obj: ExtractedObject) -> AssetsDefinition:
    @asset(
        name=obj.asset,
        **per_tenant("crm_extract", {"salesforce", "sql"}, io_manager_key="tenant_io_manager"),
        description=(
            f"Every {obj.name} record of the tenant's CRM org, kept up to date incrementally by "
            "SystemModstamp (first sync full), deleted and merged records flagged, never dropped. "
            "One row per record; mapped custom fields in `mapped_fields`."
        ),
    )
    def _extract(
        context: AssetExecutionContext, database: DatabaseResource, crm: CrmClientResource, clock: ClockResource
    ) -> MaterializeResult:
        db = database.db()
        tenant = database.partition_tenant(context)
        require_connected(tenant, "its CRM is not read (T3). Reconnect it with `crm-pipelines tenant reconnect` "
                                  "to resume from the last cursors.")
        budget = ApiBudget(db, tenant.id, tenant.settings.api_budget.daily_limit, clock.now)
        tenant_crm = crm.crm_for(tenant, budget.reserve, clock.now)
        [result] = read_objects(context, db, tenant_crm, [obj], tenant, clock, warn=context.log.warning)
        return counted(context, db, _metadata(result, tenant_crm.calls_sent, budget.status().remaining))

    return _extract


def read_objects(context: AssetExecutionContext, db: Database, tenant_crm: CrmPort, objects: Sequence[ExtractedObject],
                 tenant: Tenant, clock: ClockResource, *, read_deletions: bool = True,
                 warn: Callable[[str], None] = lambda line: None) -> list[ObjectSync]:
    """`objects` read incrementally into the warehouse in turn, until one is deferred; for each,
    the tenant's sync deferred or its deferral struck off."""
    return read_in_turn(
        tenant_crm, db, objects, tenant, now=clock.now, run_id=context.run.run_id, read_deletions=read_deletions,
        progress=context.log.info, warn=warn,
        settle=lambda result: settle_deferral(context, db, tenant.id, CRM_SYNC_JOB, result.sobject, result.deferred,
                                              clock.now))


def _metadata(result: ObjectSync, calls: int, calls_left: int) -> dict:
    cursor = result.cursor_after
    metadata = {
        "mode": result.mode,
        "read_with": result.read_with,
        "records_read": result.read.records_read,
        "rows_upserted": result.rows_written,
        "rows_deleted": result.read.rows_deleted,
        "rows_rejected": result.read.rejected,
        "query_pages": result.read.pages,
        "delete_log_calls": result.deletions.delete_log_calls,
        "rows_flagged_deleted_from_delete_log": result.deletions.flagged_from_log,
        "deletes_reconciled_by_id_set": result.deletions.reconciled,
        "rows_flagged_deleted_by_id_set": result.deletions.flagged_by_id_set,
        "id_set_pages": result.deletions.id_set_pages,
        "field_history": result.history.history_object or "none (the org tracks no field of it)",
        "field_history_rows_read": result.history.rows_read,
        "api_calls_used": calls,
        "api_calls_left": calls_left,
        "deferred": result.deferred is not None,
        "cursor": f"{cursor.modstamp.isoformat()} {cursor.record_id}" if cursor else "none",
    }
    if result.deferred is not None:
        metadata["deferred_reason"] = result.deferred.reason
        metadata["resume_at"] = result.deferred.resume_at.isoformat()
    if result.missing_mapped_fields:
        metadata["mapped_fields_missing_in_org"] = ", ".join(result.missing_mapped_fields)
    if result.label_changes:
        metadata["label_changes"] = "; ".join(f"{f}: {old!r} -> {new!r}" for f, old, new in result.label_changes)
    if result.preview is not None:
        metadata["preview"] = MetadataValue.md(result.preview.drop(columns=["mapped_fields"]).to_markdown(index=False))
    return metadata


extract_assets = [_extract_asset(obj) for obj in CRM_OBJECTS]
