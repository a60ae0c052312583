"""`crm_records_before_push`: the CRM's Leads, Contacts and Campaigns read again at the start of a
push, so the push plans its two-way fields against what the CRM holds now (F3)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.assets.extract import CRM_SYNC_JOB, read_objects
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.sync_chain import push_verdict
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.settings import Tenant
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.database import Database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import chain_states, deferred_extractions

REFRESHED = ("Lead", "Contact", "Campaign")
RECORDS_BEFORE_PUSH = AssetKey("crm_records_before_push")


@asset(**per_tenant("outbound", {"salesforce", "sql"}, deps=[AssetKey(BY_NAME[n].asset) for n in REFRESHED]))
def crm_records_before_push(context: AssetExecutionContext, database: DatabaseResource, crm: CrmClientResource,
                            clock: ClockResource) -> MaterializeResult:
    """The tenant's Leads, Contacts and Campaigns read again, incrementally, into the warehouse
    (the same rows and cursors as the extraction, without the delete log, which the sync reads).
    Planned against the last sync alone, a push would overwrite a two-way field a CRM user changed
    since with the app's older value. Not read when the push sends no field values or the sync chain
    is incomplete (the metadata says why); running out of budget defers the sync, and the push waits."""
    db, tenant = database.db(), database.partition_tenant(context)
    why_not = _not_read_because(db, tenant)
    if why_not:
        context.log.info(f"tenant '{tenant.id}': not read again before the push: {why_not}")
        return counted(context, db, {"read": False, "not_read_because": why_not})
    budget = ApiBudget(db, tenant.id, tenant.settings.api_budget.daily_limit, clock.now)
    tenant_crm = crm.crm_for(tenant, budget.reserve, clock.now)
    results = read_objects(context, db, tenant_crm, [BY_NAME[name] for name in REFRESHED], tenant, clock,
                           read_deletions=False)
    metadata: dict = {"read": True, **{f"{r.sobject}_records_read": r.read.records_read for r in results}}
    if (deferred := results[-1].deferred) is not None:
        metadata["deferred"] = f"{results[-1].sobject}: {deferred.reason}"
    metadata.update(api_calls_used=tenant_crm.calls_sent, api_calls_left=budget.status().remaining)
    return counted(context, db, metadata)


def _not_read_because(db: Database, tenant: Tenant) -> str | None:
    push = tenant.settings.push
    if tenant.status != "connected":
        return "the tenant is disconnected (T3)"
    if not (push.enabled and push.app_to_crm):
        return "the push sends no field values (push.enabled or push.app_to_crm is off)"
    deferred = deferred_extractions(DeferralStore(db).open(tenant.id, job=CRM_SYNC_JOB)).get(tenant.id, [])
    verdict = push_verdict(chain_states(db, tenant.id).get(tenant.id), deferred)
    return None if verdict.ready else verdict.reason
