"""Asset checks on the extracted CRM objects (O6), each evaluated for one tenant partition.

Blocking where a failure must stop what is downstream: a CRM id twice in one tenant, or a tenant's
record also present in another tenant's rows, means the warehouse cannot be trusted. References
that do not resolve (a contact whose account was never extracted) are warnings: they happen while
an object's sync is deferred, and say so.
"""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetChecksDefinition, AssetKey, asset_check

from crm_pipelines.core.crm_objects import BY_NAME, CRM_OBJECTS, ExtractedObject
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.integrity import (
    dangling_references,
    duplicated_ids,
    ids_held_by_other_tenants,
    largest_list,
    pending_pushes,
)
from crm_pipelines.store.resource import DatabaseResource

# (column, referenced object) for every reference the rest of the pipeline relies on.
REFERENCES: dict[str, list[tuple[str, str]]] = {
    "Account": [("owner_id", "User")],
    "AccountTeamMember": [("account_id", "Account"), ("user_id", "User")],
    "Contact": [("account_id", "Account"), ("owner_id", "User")],
    "Lead": [("owner_id", "User")],
    "Opportunity": [("account_id", "Account"), ("owner_id", "User"), ("campaign_id", "Campaign")],
    "OpportunityContactRole": [("opportunity_id", "Opportunity"), ("contact_id", "Contact")],
    "Campaign": [("owner_id", "User")],
}


def _tenant(context: AssetCheckExecutionContext) -> str:
    if not context.has_partition_key:
        raise ValueError("these checks run for one tenant partition at a time")
    return context.partition_key


def _unique_ids(obj: ExtractedObject) -> AssetChecksDefinition:
    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(obj.asset), name="unique_crm_ids", blocking=True,
                 description=f"Each {obj.name} id appears once in the tenant's rows.")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        duplicated = duplicated_ids(database.db(), obj.table, tenant)
        return AssetCheckResult(passed=duplicated == 0, metadata={"tenant": tenant, "duplicated_ids": duplicated})

    return _check


def _own_tenant_only(obj: ExtractedObject) -> AssetChecksDefinition:
    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(obj.asset), name="no_rows_of_another_tenant", blocking=True,
                 description=f"No {obj.name} of this tenant's org is also held as another tenant's row "
                             "(one org serves one tenant, so a shared id means rows crossed tenants).")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        shared = ids_held_by_other_tenants(database.db(), obj.table, tenant)
        return AssetCheckResult(passed=shared == 0, metadata={"tenant": tenant, "ids_shared_with_other_tenants": shared})

    return _check


def _references_resolve(obj: ExtractedObject, references: list[tuple[str, str]]) -> AssetChecksDefinition:
    targets = sorted({BY_NAME[target].asset for _, target in references if target != obj.name})

    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(obj.asset), name="references_resolve", blocking=False,
                 additional_deps=[AssetKey(t) for t in targets],
                 description=f"Every reference of a {obj.name} ({', '.join(c for c, _ in references)}) "
                             "points at a record extracted for the same tenant.")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        dangling = {column: dangling_references(database.db(), obj.table, tenant, column, [BY_NAME[target].table])
                    for column, target in references}
        return AssetCheckResult(
            passed=not any(dangling.values()), severity=AssetCheckSeverity.WARN,
            metadata={"tenant": tenant, **{f"dangling_{column}": n for column, n in dangling.items()}},
        )

    return _check


extract_checks = [
    *[_unique_ids(obj) for obj in CRM_OBJECTS],
    *[_own_tenant_only(obj) for obj in CRM_OBJECTS],
    *[_references_resolve(obj, REFERENCES[obj.name]) for obj in CRM_OBJECTS if obj.name in REFERENCES],
]


def _list_cap(asset: str, table: str) -> AssetChecksDefinition:
    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(asset), name="at_most_1000_items_per_user", blocking=True,
                 description="No user's list holds more than the cap of 1,000 items (L5).")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        largest = largest_list(database.db(), table, tenant)
        return AssetCheckResult(passed=largest <= 1000, metadata={"tenant": tenant, "largest_list": largest})

    return _check


list_checks = [_list_cap("auto_save_account_lists", "auto_save_account_lists"),
               _list_cap("auto_save_lead_lists", "auto_save_lead_lists")]


# -- matched entities and the push ledger -----------------------------------------------------------
# (asset, table, CRM id column, the CRM tables its ids come from)
LINKED_TABLES = (
    ("matched_users", "matched_users", "crm_user_id", ("User",)),
    ("matched_prospects", "matched_prospects", "crm_id", ("Lead", "Contact")),
    ("matched_accounts", "matched_accounts", "crm_account_id", ("Account",)),
    ("crm_push_results", "crm_push_results", "crm_id", ()),
)


def _no_crm_id_of_another_tenant(asset: str, table: str, column: str) -> AssetChecksDefinition:
    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(asset), name="no_rows_of_another_tenant", blocking=True,
                 description=f"No CRM id in this tenant's {table} is also in another tenant's: one org serves one "
                             "tenant, so a shared id means a match or a push crossed tenants.")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        shared = ids_held_by_other_tenants(database.db(), table, tenant, column)
        return AssetCheckResult(passed=shared == 0, metadata={"tenant": tenant, "ids_shared_with_other_tenants": shared})

    return _check


def _matches_resolve(asset: str, table: str, column: str, objects: tuple[str, ...]) -> AssetChecksDefinition:
    @asset_check(partitions_def=tenant_partitions, asset=AssetKey(asset), name="references_resolve", blocking=False,
                 additional_deps=[AssetKey(BY_NAME[o].asset) for o in objects],
                 description=f"Every matched CRM id is a {' or '.join(objects)} extracted for the same tenant.")
    def _check(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
        tenant = _tenant(context)
        dangling = dangling_references(database.db(), table, tenant, column, [BY_NAME[o].table for o in objects])
        return AssetCheckResult(passed=dangling == 0, severity=AssetCheckSeverity.WARN,
                                metadata={"tenant": tenant, "dangling": dangling})

    return _check


@asset_check(partitions_def=tenant_partitions, asset=AssetKey("crm_push_results"), name="nothing_left_pending", blocking=False,
             description="After a push, no record waits in state pending unless the push was deferred: a pending "
                         "record means a push stopped mid-way; the next one sends it again by its external id.")
def _nothing_left_pending(context: AssetCheckExecutionContext, database: DatabaseResource) -> AssetCheckResult:
    tenant = _tenant(context)
    pending, deferred = pending_pushes(database.db(), tenant)
    return AssetCheckResult(passed=pending == 0 or deferred, severity=AssetCheckSeverity.WARN,
                            metadata={"tenant": tenant, "pending": pending, "push_deferred": bool(deferred)})


linked_checks = [
    *[_no_crm_id_of_another_tenant(asset, table, column) for asset, table, column, _ in LINKED_TABLES],
    *[_matches_resolve(asset, table, column, objects) for asset, table, column, objects in LINKED_TABLES if objects],
    _nothing_left_pending,
]
