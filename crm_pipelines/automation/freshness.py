"""Each tenant's freshness, in the UI: the `crm_sync_completed:fresh_for_tenant` check per tenant partition.

A tenant is stale once twice its sync frequency and a quarter of an hour have passed since its
last completed sync (core/freshness). The `tenant_freshness` sensor computes every tenant's verdict
each tick from two queries, keeps the stale set in its cursor, and only when that set changes
launches one small `tenant_freshness_report` run that records the check for each tenant that
turned stale or fresh again. A fleet whose freshness did not change launches nothing, however
often the sensor looks; the check is not part of the sync itself, so it has one author.
"""

import json
from datetime import timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    Config,
    DefaultSensorStatus,
    OpExecutionContext,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    in_process_executor,
    job,
    op,
    sensor,
)

from crm_pipelines.clock import ClockResource
from crm_pipelines.core.sync_chain import ChainState
from crm_pipelines.core.freshness import Freshness, TenantSync, freshness, stale_tenants
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.settings import Tenant
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.sync_chains import chain_states

SYNC_COMPLETED = AssetKey("crm_sync_completed")
FRESH_CHECK = "fresh_for_tenant"
FRESH_CHECK_KEY = AssetCheckKey(SYNC_COMPLETED, FRESH_CHECK)
_DESCRIPTION = ("The tenant's last completed sync is no older than twice its sync.frequency_minutes and 15 "
                "minutes (a tenant that never completed one counts from when it connected); a disconnected "
                "tenant is not watched. Recorded by the tenant_freshness sensor's report runs when a tenant "
                "turns stale or fresh again.")


def tenant_syncs(database: DatabaseResource, tenant_ids: set[str] | None = None) -> list[TenantSync]:
    """What the freshness rule reads of every tenant (or those named): two queries, whatever their number."""
    chains = chain_states(database.db())
    return [_tenant_sync(t, chains.get(t.id)) for t in database.tenants().list()
            if tenant_ids is None or t.id in tenant_ids]


def _tenant_sync(tenant: Tenant, chain: ChainState | None) -> TenantSync:
    return TenantSync(tenant.id, connected=tenant.status == "connected",
                      frequency=timedelta(minutes=tenant.settings.sync.frequency_minutes),
                      last_completed_at=chain.completed_at if chain is not None else None,
                      connected_at=tenant.connected_at)


def _result(verdict: Freshness, tenant: TenantSync) -> dict:
    """The check's fields for one tenant: passed, WARN when stale, and what the verdict rests on."""
    return dict(
        passed=not verdict.stale,
        severity=AssetCheckSeverity.WARN,
        description=verdict.reason,
        metadata={
            "tenant": tenant.tenant_id,
            "last_completed_at": tenant.last_completed_at.isoformat() if tenant.last_completed_at else "never",
            "sync_frequency_minutes": int(tenant.frequency.total_seconds() // 60),
            "stale_from": verdict.stale_from.isoformat() if verdict.stale_from else "not watched",
            "reason": verdict.reason,
        },
    )


@asset_check(asset=SYNC_COMPLETED, name=FRESH_CHECK, partitions_def=tenant_partitions, description=_DESCRIPTION)
def fresh_for_tenant(context: AssetCheckExecutionContext, database: DatabaseResource,
                     clock: ClockResource) -> AssetCheckResult:
    found = tenant_syncs(database, {context.partition_key})
    if not found:
        raise ValueError(f"tenant '{context.partition_key}' is not in the tenant registry; its freshness is not watched")
    tenant = found[0]
    fields = _result(freshness(tenant, clock.now()), tenant)
    return AssetCheckResult(passed=fields["passed"], severity=fields["severity"], description=fields["description"],
                            metadata=fields["metadata"])


class FreshnessReport(Config):
    tenants: list[str]


@op(description="Records crm_sync_completed:fresh_for_tenant for each tenant named, as it stands now.")
def report_tenant_freshness(context: OpExecutionContext, config: FreshnessReport, database: DatabaseResource,
                            clock: ClockResource) -> None:
    now = clock.now()
    for tenant in tenant_syncs(database, set(config.tenants)):
        verdict = freshness(tenant, now)
        context.log.info(f"tenant '{tenant.tenant_id}': {verdict.reason}")
        context.log_event(AssetCheckEvaluation(asset_key=SYNC_COMPLETED, check_name=FRESH_CHECK,
                                               partition=tenant.tenant_id, **_result(verdict, tenant)))


@job(executor_def=in_process_executor,
     description="Records the freshness check of the tenants whose freshness changed (launched by tenant_freshness).")
def tenant_freshness_report():
    report_tenant_freshness()


@sensor(
    job=tenant_freshness_report,
    minimum_interval_seconds=180,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Watches every connected tenant's freshness: stale once twice its sync frequency and 15 minutes "
        "have passed since its last completed sync. When a tenant turns stale or fresh again, launches one "
        "tenant_freshness_report run recording crm_sync_completed:fresh_for_tenant for those tenants; "
        "nothing when no tenant's freshness changed."
    ),
)
def tenant_freshness(context: SensorEvaluationContext, database: DatabaseResource, clock: ClockResource):
    now = clock.now()
    tenants = tenant_syncs(database)
    stale = stale_tenants(tenants, now)
    # No cursor yet (a new deployment, a fresh daemon) reads as "every tenant fresh": a check never
    # recorded shows nothing wrong, so only a tenant that really is stale needs a report.
    before = set(json.loads(context.cursor)) if context.cursor else set()
    known = {t.tenant_id for t in tenants}
    changed = sorted((stale ^ before) & known)
    cursor = json.dumps(sorted(stale))
    if not changed:
        message = f"{len(stale)} stale tenant(s), unchanged" if stale else f"all {len(known)} tenant(s) fresh"
        return SensorResult(skip_reason=SkipReason(message), cursor=cursor)
    turned_stale = [t for t in changed if t in stale]
    fresh_again = [t for t in changed if t not in stale]
    context.log.info(f"stale: {', '.join(turned_stale) or 'none'}; fresh again: {', '.join(fresh_again) or 'none'}")
    return SensorResult(
        run_requests=[RunRequest(
            run_key=f"freshness-{now:%Y-%m-%dT%H:%M:%S}-{'+'.join(changed)[:200]}",
            run_config=RunConfig(ops={"report_tenant_freshness": FreshnessReport(tenants=changed)}),
            tags={tag: ",".join(names)[:200] for tag, names in (("crm_pipelines/stale", turned_stale),
                                                                 ("crm_pipelines/fresh_again", fresh_again)) if names},
        )],
        cursor=cursor,
    )
