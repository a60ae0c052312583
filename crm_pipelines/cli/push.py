"""`crm-pipelines push ...`: ask for a prospect's push (P4a), read the delivery ledger, retry
records the CRM refused once the CRM side is fixed."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from typing import Any

from crm_pipelines.cli.options import add_json, command_group, positive_int, tenant_action
from crm_pipelines.cli.output import Column, echo, json_rows, not_found, print_json, print_table
from crm_pipelines.cli.tenants import open_tenant

STATES = ("pending", "sent", "failed")
# Problems first: a refusal waits for a person, a failure for the next push; sent records last.
STATE_ORDER = {"failed": 0, "pending": 1, "sent": 2}
COLUMNS = (
    Column("state", "state"), Column("sobject", "object"), Column("external_id", "external id"),
    Column("crm_id", "crm id"), Column("attempts", "attempts", right=True),
    Column("last_attempt_at", "last attempt (UTC)", format="%Y-%m-%d %H:%M"), Column("error", "error", flexible=True),
)


def request(args: argparse.Namespace) -> None:
    from crm_pipelines.store.app_data import app_record_exists
    from crm_pipelines.store.push_ledger import add_push_request

    db, tenant = open_tenant(args.tenant_id)
    if not app_record_exists(db, tenant.id, "prospect", args.prospect_id):
        not_found(f"tenant '{tenant.id}' has no prospect '{args.prospect_id}'")
    request_id = f"cli-{uuid.uuid4().hex[:12]}"
    add_push_request(db, tenant.id, request_id, args.prospect_id, args.requested_by, datetime.now(UTC))
    note = "" if tenant.settings.push.enabled else " (pushes are off for this tenant: it waits until push.enabled=true)"
    echo(f"push request {request_id} for prospect {args.prospect_id} of tenant {tenant.id} is pending{note}")


def ledger_rows(db, tenant_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every ledger row with its error in one text ('' when none), problems first, latest first."""
    from crm_pipelines.store.push_ledger import read_ledger

    rows = json_rows(read_ledger(db, tenant_id).to_dict("records"))
    for row in rows:
        row["error"] = f"{row['error_code']}: {row['error_message'] or ''}".rstrip(": ") if row["error_code"] else ""
        if row["last_attempt_at"]:
            row["last_attempt_at"] = datetime.fromisoformat(row["last_attempt_at"])
    rows.sort(key=lambda r: r["last_attempt_at"].timestamp() if r["last_attempt_at"] else 0.0, reverse=True)
    rows.sort(key=lambda r: STATE_ORDER.get(r["state"], len(STATE_ORDER)))
    return rows


def problems(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Refusals (failed: the CRM will not take the record as it is) and failures (pending with an
    error: the call failed and is sent again), each by reason, the most frequent first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, wanted in (("refused", lambda r: r["state"] == "failed"),
                         ("failed", lambda r: r["state"] == "pending" and bool(r["error"]))):
        counts: dict[str, int] = {}
        for row in rows:
            if wanted(row):
                reason = row["error"] or "no reason given by the CRM"
                counts[reason] = counts.get(reason, 0) + 1
        found[kind] = [{"reason": reason, "records": n} for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return found


def status(args: argparse.Namespace) -> None:
    db, tenant = open_tenant(args.tenant_id)
    rows = ledger_rows(db, tenant.id)
    counts = {state: sum(r["state"] == state for r in rows) for state in STATES}
    summary = problems(rows)
    shown = [r for r in rows if args.state is None or r["state"] == args.state][: args.limit]
    if args.json:
        print_json({"tenant": tenant.id, "counts": counts, "refused": summary["refused"], "failed": summary["failed"],
                    "records": json_rows({k: v for k, v in r.items() if k != "error"} for r in shown)})
        return
    refused, failed = sum(p["records"] for p in summary["refused"]), sum(p["records"] for p in summary["failed"])
    echo(f"tenant {tenant.id}: {refused} refused by the CRM, {failed} failed (sent again at the next push), "
         f"{counts['pending']} pending, {counts['sent']} sent")
    if summary["refused"]:
        echo("refused by the CRM (not sent again until the app record changes or `crm-pipelines push retry`):")
        for p in summary["refused"]:
            echo(f"  {p['records']:>5}  {p['reason']}")
    if summary["failed"]:
        echo("failed (the call did not go through; sent again at the next push):")
        for p in summary["failed"]:
            echo(f"  {p['records']:>5}  {p['reason']}")
    if shown:
        echo("")
        print_table(shown, COLUMNS)
        hidden = sum(args.state is None or r["state"] == args.state for r in rows) - len(shown)
        if hidden:
            echo(f"... and {hidden} more (--limit N shows more)")
    else:
        echo(f"no {args.state or ''} records in the ledger".replace("  ", " "))


def retry(args: argparse.Namespace) -> None:
    from crm_pipelines.store.push_ledger import retry_failed

    db, tenant = open_tenant(args.tenant_id)
    n = retry_failed(db, tenant.id, list(args.external_ids) or None)
    echo(f"{n} failed record(s) of tenant {tenant.id} will be sent at the next push")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "push", "Outbound pushes to the CRM: requests, the delivery ledger, retries.")

    p = tenant_action(sub, parent, "request",
                      "Push a prospect at the next push (P4a): its Lead or Contact's push mapped fields and the "
                      "two-way ones the app changed (F3), or a new Lead when it has none and F7 allows it.")
    p.add_argument("--prospect", dest="prospect_id", required=True, help="The app prospect to push.")
    p.add_argument("--by", dest="requested_by", default=None, help="The app user asking (for the record).")
    p.set_defaults(run=request)

    p = tenant_action(sub, parent, "status",
                      "The delivery ledger: refusals and failures with their reason, then the records, "
                      "problems first.")
    p.add_argument("--state", choices=STATES, default=None, help="Only records in this state.")
    p.add_argument("--limit", type=positive_int, default=50, help="At most N records (default 50).")
    add_json(p)
    p.set_defaults(run=status)

    p = tenant_action(sub, parent, "retry",
                      "Make records the CRM refused due again, after fixing the CRM side (a validation rule, "
                      "a missing field); a record fixed in the app goes out again by itself.")
    p.add_argument("--external-id", dest="external_ids", action="append", default=[],
                   help="Only these records (repeatable).")
    p.set_defaults(run=retry)
