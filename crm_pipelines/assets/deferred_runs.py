"""A run that deferred work says so on the run itself: the UI's runs list shows SUCCESS for it (what
was read is kept), and its tags say what waits and until when."""

from dagster import AssetExecutionContext

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
