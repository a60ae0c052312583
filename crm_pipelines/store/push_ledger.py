"""The delivery ledger (P8) and the app write-backs of a push, kept in the state store.

Before a batch goes to the CRM its records are marked pending (attempted, outcome unknown); after
the CRM answers, the outcome, the CRM ids written back to the app, the answered push requests and
to-dos, and the connector-log rows commit in one transaction. A crash between the two leaves the
records pending, and the next push sends them again by external id, which the CRM treats as an
update of the record it already has: never a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, and_, bindparam, func, select, type_coerce, update

from crm_pipelines.core.outbound import BatchOutcome
from crm_pipelines.store.bulk import read_frame, upsert_frame
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import store_base
from crm_pipelines.store.interest_crossings import answer_crossings
from crm_pipelines.store.tables import (
    app_campaigns,
    crm_push_results,
    interest_crossings,
    prospects,
    push_requests,
    todos,
)
from crm_pipelines.store.types import UtcDateTime

_KEYS = ("tenant_id", "sobject", "external_id")
# What marking a record attempted may change; the CRM id and what was sent before stay as they were.
_ATTEMPT_COLUMNS = ("kind", "app_object", "app_id", "state", "attempts", "attempted_fields", "last_attempt_at",
                    "run_id")


def read_ledger(db: Database, tenant_id: str, *, state: str | None = None) -> pd.DataFrame:
    """The tenant's ledger rows (LEDGER_COLUMNS and run_id), by sobject and external id."""
    where = crm_push_results.c.tenant_id == tenant_id
    if state is not None:
        where = and_(where, crm_push_results.c.state == state)
    with db.engine.connect() as conn:
        frame = read_frame(conn, crm_push_results, where, order_by=["sobject", "external_id"])
    return frame.drop(columns=["tenant_id"])


def ledger_counts(db: Database, tenant_id: str) -> dict[str, int]:
    """Ledger rows per state (pending, sent, failed)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(crm_push_results.c.state, func.count()).where(crm_push_results.c.tenant_id == tenant_id)
            .group_by(crm_push_results.c.state)
        ).all()
    return {"pending": 0, "sent": 0, "failed": 0, **{state: int(n) for state, n in rows}}


def mark_attempted(db: Database, tenant_id: str, batch: pd.DataFrame, at: datetime, run_id: str | None) -> None:
    """Record that the batch's records are about to be sent (state pending, one more attempt)."""
    if batch.empty:
        return
    rows = pd.DataFrame({
        "tenant_id": tenant_id, "sobject": batch["sobject"].to_numpy(), "external_id": batch["external_id"].to_numpy(),
        "kind": batch["kind"].to_numpy(), "app_object": batch["app_object"].to_numpy(),
        "app_id": batch["app_id"].to_numpy(), "state": "pending",
        "attempts": batch["attempts"].astype("int64").to_numpy() + 1, "attempted_fields": list(batch["fields"]),
        "last_attempt_at": pd.Timestamp(at), "run_id": run_id,
    })
    with db.transaction() as conn:
        # One bulk upsert (COPY on PostgreSQL) setting only what an attempt changes.
        upsert_frame(conn, crm_push_results, rows, list(_KEYS), update=_ATTEMPT_COLUMNS,
                     context=f"tenant '{tenant_id}', push ledger")


def record_batch_error(db: Database, tenant_id: str, batch: pd.DataFrame, code: str, message: str) -> None:
    """The CRM refused a whole call: its records stay pending (it was about the call, not them),
    with the error to read in the ledger."""
    keys = [{"b_sobject": s, "b_external_id": e} for s, e in zip(batch["sobject"], batch["external_id"], strict=True)]
    if not keys:
        return
    with db.transaction() as conn:
        conn.execute(update(crm_push_results).where(
            crm_push_results.c.tenant_id == tenant_id, crm_push_results.c.sobject == bindparam("b_sobject"),
            crm_push_results.c.external_id == bindparam("b_external_id")).values(error_code=code[:80], error_message=message),
            keys)


def record_outcome(db: Database, tenant_id: str, outcome: BatchOutcome, *, run_id: str | None, batch: str) -> None:
    """The CRM's answer to one batch, in one transaction: ledger rows, new CRM ids on prospects and
    campaigns, answered requests and to-dos, connector-log rows, and the values the CRM accepted as
    the three-way base (F3)."""
    with db.transaction() as conn:
        # Every column of the row is written, so one bulk upsert (COPY on PostgreSQL) will do.
        upsert_frame(conn, crm_push_results, outcome.ledger.assign(tenant_id=tenant_id, run_id=run_id), list(_KEYS),
                     context=f"tenant '{tenant_id}', push ledger")
        _write_back_ids(conn, tenant_id, outcome.prospect_ids, outcome.campaign_ids)
        answer_triggers(conn, tenant_id, outcome.requests, outcome.todos, outcome.ledger["last_attempt_at"].max(),
                        outcome.crossings)
        insert_log_rows(conn, tenant_id, outcome.log, run_id=run_id, batch=batch)
        # The base of records the CRM just created is new: copied straight in (upserted only if
        # some row is there after all, as for a record created once and sent again).
        at = outcome.ledger["last_attempt_at"].max()
        created = {*outcome.prospect_ids.values(), *outcome.campaign_ids.values()}
        is_new = outcome.base["crm_id"].isin(created).to_numpy(dtype=bool)
        store_base(conn, tenant_id, outcome.base.loc[is_new], at, new_records=True)
        store_base(conn, tenant_id, outcome.base.loc[~is_new], at)


def answer_triggers(conn: Connection, tenant_id: str, requests: Mapping[str, str], todo_ids: Sequence[str],
                    at: datetime | None, crossings: Sequence[str] = ()) -> None:
    """Push requests get their status (sent, failed, skipped); pushed to-dos and threshold crossings
    their pushed_at."""
    if requests:
        # One statement for every request (executemany), not a round trip each.
        conn.execute(update(push_requests).where(
            push_requests.c.tenant_id == tenant_id, push_requests.c.request_id == bindparam("b_request_id"))
            .values(status=bindparam("b_status")),
            [{"b_request_id": request_id, "b_status": status} for request_id, status in requests.items()])
    if todo_ids and at is not None:
        conn.execute(update(todos).where(todos.c.tenant_id == tenant_id, todos.c.todo_id.in_(list(todo_ids)))
                     .values(pushed_at=at))
    if at is not None:
        answer_crossings(conn, tenant_id, list(crossings), at)


def answer_unpushable(db: Database, tenant_id: str, requests: Mapping[str, str], crossings: Sequence[str] = (),
                      at: datetime | None = None, todo_ids: Sequence[str] = ()) -> None:
    if requests or crossings or todo_ids:
        with db.transaction() as conn:
            answer_triggers(conn, tenant_id, requests, todo_ids, at, crossings)


def add_push_request(db: Database, tenant_id: str, request_id: str, prospect_id: str, requested_by: str | None,
                     at: datetime) -> None:
    """A user asks for a prospect's push (P4a); the next push answers it."""
    with db.transaction() as conn:
        conn.execute(push_requests.insert().values(tenant_id=tenant_id, request_id=request_id, prospect_id=prospect_id,
                                                   requested_by=requested_by, requested_at=at, status="pending"))


def open_triggers(db: Database) -> dict[str, tuple[int, datetime]]:
    """Push requests pending, to-dos not pushed yet and threshold crossings not pushed yet (P4a, P4d,
    P4c), for every tenant that has any: how many, and the latest's time. Three queries, however
    many tenants."""
    sources = (
        (push_requests.c.requested_at, push_requests.c.status == "pending"),
        (todos.c.created_at, and_(todos.c.pushed_at.is_(None), todos.c.assignee_user_id.is_not(None))),
        (interest_crossings.c.crossed_at, and_(interest_crossings.c.crossed_at.is_not(None),
                                              interest_crossings.c.pushed_at.is_(None))),
    )
    found: dict[str, tuple[int, datetime]] = {}
    with db.engine.connect() as conn:
        for at, waiting in sources:
            tenant = at.table.c.tenant_id
            # type_coerce: an aggregate loses the column's type, and with it UtcDateTime's parsing.
            for tenant_id, n, latest in conn.execute(
                    select(tenant, func.count(), type_coerce(func.max(at), UtcDateTime())).where(waiting)
                    .group_by(tenant)).all():
                count, before = found.get(tenant_id, (0, latest))
                found[tenant_id] = (count + int(n), max(before, latest) if latest is not None else before)
    return {tenant_id: (n, latest) for tenant_id, (n, latest) in found.items() if latest is not None}


def retry_failed(db: Database, tenant_id: str, external_ids: Sequence[str] | None = None) -> int:
    """Make failed records due again (after the CRM side was fixed); returns how many."""
    stmt = update(crm_push_results).where(crm_push_results.c.tenant_id == tenant_id,
                                          crm_push_results.c.state == "failed")
    if external_ids:
        stmt = stmt.where(crm_push_results.c.external_id.in_(list(external_ids)))
    with db.transaction() as conn:
        return conn.execute(stmt.values(state="pending")).rowcount


def _write_back_ids(conn: Connection, tenant_id: str, prospect_ids: Mapping[str, str],
                    campaign_ids: Mapping[str, str]) -> None:
    # Only the link columns change: the rest of the app's rows are the app's and the field sync's.
    # One statement per table with every record's parameters (executemany: a batch of 200 new
    # Leads is one pipelined write, not 200 round trips).
    if prospect_ids:
        conn.execute(update(prospects).where(prospects.c.tenant_id == tenant_id,
                                             prospects.c.prospect_id == bindparam("b_app_id"))
                     .values(crm_id=bindparam("b_crm_id"), crm_type="Lead"), _id_pairs(prospect_ids))
    if campaign_ids:
        conn.execute(update(app_campaigns).where(app_campaigns.c.tenant_id == tenant_id,
                                                 app_campaigns.c.campaign_id == bindparam("b_app_id"))
                     .values(crm_campaign_id=bindparam("b_crm_id")), _id_pairs(campaign_ids))


def _id_pairs(ids: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"b_app_id": app_id, "b_crm_id": crm_id} for app_id, crm_id in ids.items()]
