"""A run that deferred work says so on the run itself: the UI's runs list shows SUCCESS for it (what
was read is kept), and its tags say what waits and until when. And what every step that calls a
tenant's CRM does first (refuse a disconnected tenant, T3) and last (record or strike off its
deferral, S1)."""

from collections.abc import Callable
from datetime import datetime

from dagster import AssetExecutionContext, Failure

from crm_pipelines.crm.errors import NotNow
from crm_pipelines.settings import Tenant
from crm_pipelines.store.database import Database
from crm_pipelines.store.deferrals import DeferralStore

DEFERRED_TAG = "crm_pipelines/deferred"
DEFERRED_UNTIL_TAG = "crm_pipelines/deferred_until"


def tag_run_deferred(context: AssetExecutionContext, store: DeferralStore, tenant_id: str, job: str,
                     deferral_id: int) -> None:
    """Tags the run with the deferral it recorded (every object it deferred so far, the latest resume-at)."""
    deferral = next((d for d in store.open(tenant_id, job=job) if d.id == deferral_id), None)
    if deferral is None:  # resolved meanwhile: nothing waits
        return
    context.instance.add_run_tags(context.run.run_id, {
        DEFERRED_TAG: ", ".join(deferral.objects),
        DEFERRED_UNTIL_TAG: f"{deferral.resume_at:%Y-%m-%dT%H:%M:%SZ}",
    })


def require_connected(tenant: Tenant, while_disconnected: str) -> None:
    """A disconnected tenant's CRM is neither read nor written (T3): the step fails, saying what waits."""
    if tenant.status != "connected":
        raise Failure(description=f"tenant '{tenant.id}' is disconnected (since {tenant.disconnected_at}); "
                                  f"{while_disconnected}")


def settle_deferral(context: AssetExecutionContext, db: Database, tenant_id: str, job: str, work: str,
                    deferred: NotNow | None, now: Callable[[], datetime], *, done: bool = True) -> None:
    """`work` (a CRM object, the push's delivery) deferred: recorded once for the run, which is tagged
    with it; else, when `done`, struck off any deferral that waited for it."""
    deferrals = DeferralStore(db)
    if deferred is not None:
        deferral_id = deferrals.record(tenant_id, job, [work], deferred.reason, deferred.resume_at, now(),
                                       context.run.run_id)
        tag_run_deferred(context, deferrals, tenant_id, job, deferral_id)
        context.log.warning(f"{work}: deferred: {deferred}")
    elif done:
        deferrals.complete(tenant_id, job, work, now())
