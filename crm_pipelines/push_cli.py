"""`crm-pipelines push ...`: ask for a prospect's push (P4a), read the delivery ledger, retry
records the CRM refused once the CRM side is fixed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import click

from crm_pipelines.refusals import refuse, tenant_or_refuse
from crm_pipelines.store.app_data import app_record_exists
from crm_pipelines.store.push_ledger import add_push_request, ledger_counts, read_ledger, retry_failed

STATE_CHOICE = click.Choice(["pending", "sent", "failed"])


@click.group()
def push() -> None:
    """Outbound pushes to the CRM: requests, the delivery ledger, retries."""


@push.command("request")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--prospect", "prospect_id", required=True, help="The app prospect to push.")
@click.option("--by", "requested_by", default=None, help="The app user asking (for the record).")
def request(tenant_id: str, prospect_id: str, requested_by: str | None) -> None:
    """Push a prospect at the next push (P4a): the push mapped fields of its Lead or Contact and the
    two-way ones the app changed since both sides last agreed (F3), or a new Lead with every field
    when it has none and F7 allows it."""
    db, tenant = tenant_or_refuse(tenant_id)
    if not app_record_exists(db, tenant.id, "prospect", prospect_id):
        refuse(f"tenant '{tenant.id}' has no prospect '{prospect_id}'")
    request_id = f"cli-{uuid.uuid4().hex[:12]}"
    add_push_request(db, tenant.id, request_id, prospect_id, requested_by, datetime.now(UTC))
    note = "" if tenant.settings.push.enabled else " (pushes are off for this tenant: it waits until push.enabled=true)"
    click.echo(f"push request {request_id} for prospect {prospect_id} of tenant {tenant.id} is pending{note}")


@push.command("status")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--state", type=STATE_CHOICE, default=None, help="Only records in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def status(tenant_id: str, state: str | None, limit: int) -> None:
    """The delivery ledger: records by state, and the latest of them with the CRM's error."""
    db, tenant = tenant_or_refuse(tenant_id)
    counts = ledger_counts(db, tenant.id)
    click.echo(f"tenant {tenant.id}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    rows = read_ledger(db, tenant.id, state=state).sort_values("last_attempt_at", ascending=False).head(limit)
    for row in rows.itertuples():
        error = f"  {row.error_code}: {row.error_message}" if isinstance(row.error_code, str) else ""
        click.echo(f"{row.state:<8} {row.sobject:<9} {row.external_id:<32} {row.crm_id or '-':<18} "
                   f"attempts {row.attempts}{error}")


@push.command("retry")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--external-id", "external_ids", multiple=True, help="Only these records (repeatable).")
def retry(tenant_id: str, external_ids: tuple[str, ...]) -> None:
    """Make records the CRM refused due again, after fixing the CRM side (a validation rule, a
    missing field); a record fixed in the app goes out again by itself."""
    db, tenant = tenant_or_refuse(tenant_id)
    n = retry_failed(db, tenant.id, list(external_ids) or None)
    click.echo(f"{n} failed record(s) of tenant {tenant.id} will be sent at the next push")
