"""Reads and writes in pieces give what one piece gives: read_frame in small chunks and with pruned
columns, COPY in small chunks, and the push plans' narrow reads of the ledger and the base
(store.push_plan_reads) against the whole tables they replace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from crm_pipelines.core.outbound import due_items
from crm_pipelines.store import push_plan_reads
from crm_pipelines.store.bulk import insert_frame, read_frame
from crm_pipelines.store.field_sync_base import read_base, write_base
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import crm_push_results, field_sync_base

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
STATES = ("sent", "failed", "pending")


def _ledger_rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "tenant_id": "acme",
        "sobject": ["Lead" if i % 3 else "Contact" for i in range(n)],
        "external_id": [f"p{i:04d}" for i in range(n)],
        "kind": "field_update", "app_object": "prospect",
        "app_id": [f"p{i:04d}" for i in range(n)],
        "crm_id": [None if i % 7 == 0 else f"00Q{i:015d}" for i in range(n)],
        "state": [STATES[i % 3] for i in range(n)],
        "attempts": [i % 4 for i in range(n)],
        "sent_fields": [{"Title": f"t{i}"} if i % 2 else None for i in range(n)],
        "attempted_fields": [{"Title": f"t{i}", "Phone": None} for i in range(n)],
        "error_code": None, "error_message": [None if i % 5 else "" for i in range(n)],
        "last_attempt_at": [AT + timedelta(microseconds=i) for i in range(n)],
        "sent_at": [None if i % 2 == 0 else AT - timedelta(days=i) for i in range(n)],
    })


def _base_rows(n: int) -> pd.DataFrame:
    fields = ("title", "phone", "email")
    return pd.DataFrame({
        "tenant_id": "acme", "object": "prospect",
        "app_id": [f"p{i:04d}" for i in range(n) for _ in fields],
        "crm_id": [f"00Q{i:015d}" for i in range(n) for _ in fields],
        "field": list(fields) * n,
        "value": [None if (i + j) % 4 == 0 else f"v{i}{f}" for i in range(n) for j, f in enumerate(fields)],
        "synced_at": [None if i % 5 == 0 else AT + timedelta(seconds=i) for i in range(n) for _ in fields],
    })


@pytest.fixture
def stored(db):
    with db.transaction() as conn:
        insert_frame(conn, crm_push_results, _ledger_rows(40))
        write_base(conn, "acme", _base_rows(40).drop(columns=["tenant_id"]))
        write_base(conn, "other", _base_rows(5).drop(columns=["tenant_id"]))
    return db


@pytest.mark.parametrize("table", [crm_push_results, field_sync_base], ids=lambda t: t.name)
def test_a_read_in_chunks_of_a_few_rows_is_the_read_in_one_piece(stored, table):
    keys = [c.name for c in table.primary_key.columns]
    with stored.engine.connect() as conn:
        whole = read_frame(conn, table, table.c.tenant_id == "acme", order_by=keys)
        for rows in (1, 3, 7):
            pd.testing.assert_frame_equal(read_frame(conn, table, table.c.tenant_id == "acme", order_by=keys,
                                                     chunk_rows=rows), whole)
    assert len(whole) > 7


def test_pruned_columns_are_those_columns_of_the_whole_read(stored):
    columns = ["app_id", "field_times", "synced_at"]
    with stored.engine.connect() as conn:
        whole = read_frame(conn, field_sync_base, order_by=["tenant_id", "app_id"])
        pruned = read_frame(conn, field_sync_base, order_by=["tenant_id", "app_id"], columns=columns,
                            chunk_rows=4)
    pd.testing.assert_frame_equal(pruned, whole[columns])


def test_an_empty_read_has_the_columns_and_types_of_a_full_one(stored):
    with stored.engine.connect() as conn:
        full = read_frame(conn, crm_push_results, chunk_rows=5)
        empty = read_frame(conn, crm_push_results, crm_push_results.c.tenant_id == "nobody", chunk_rows=5)
    assert empty.empty
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()


def _items(ledger: pd.DataFrame) -> pd.DataFrame:
    """Field updates of every other ledger record (with the fields it was last sent or attempted
    with, so some are held back) and of two records the ledger never saw."""
    keys = ledger[["sobject", "external_id", "app_id", "crm_id", "state", "sent_fields", "attempted_fields"]].iloc[::2]
    keys = pd.concat([keys, pd.DataFrame({"sobject": ["Lead", "Lead"], "external_id": ["new1", "new2"],
                                          "app_id": ["new1", "new2"], "crm_id": [None, None]})], ignore_index=True)
    n = len(keys)
    fields = [_last_fields(state, sent, attempted) or {"Title": f"t{i}", "Phone": "1"}
              for i, (state, sent, attempted) in enumerate(zip(keys["state"], keys["sent_fields"],
                                                                keys["attempted_fields"], strict=True))]
    return pd.DataFrame({
        "kind": "field_update", "sobject": keys["sobject"].to_list(), "operation": "update",
        "external_id": keys["external_id"].to_list(), "crm_id": keys["crm_id"].to_list(), "app_object": "prospect",
        "app_id": keys["app_id"].to_list(), "who_prospect_id": None,
        "fields": fields,
        "app_fields": [{"Title": "title", "Phone": "phone"} for _ in range(n)],
        "field_names": None, "old_values": None, "triggers": "field_sync", "reasons": None, "note": None,
        "forced": False,
    }).astype({"kind": "string", "sobject": "string", "operation": "string", "external_id": "string",
               "crm_id": "string", "app_object": "string", "app_id": "string", "triggers": "string"})


def _last_fields(state: object, sent: object, attempted: object) -> dict | None:
    fields = attempted if str(state) == "failed" else sent
    return fields if isinstance(fields, dict) else None


def test_a_plan_on_its_own_ledger_rows_and_their_sent_base_is_the_plan_on_the_whole_tables(stored, monkeypatch):
    monkeypatch.setattr(push_plan_reads, "IDS_PER_QUERY", 3)  # many base queries, as at a large org
    whole_ledger = read_ledger(stored, "acme")
    items = _items(whole_ledger)
    ledger = push_plan_reads.ledger_of_items(stored, "acme", items)
    base = push_plan_reads.base_of_sent(stored, "acme", ledger)
    assert len(ledger) < len(whole_ledger)
    assert 0 < len(base) < len(read_base(stored, "acme"))
    narrow, whole = due_items(items, ledger, base), due_items(items, whole_ledger, read_base(stored, "acme"))
    pd.testing.assert_frame_equal(narrow.due, whole.due)
    assert (narrow.already_sent, narrow.failed_unchanged) == (whole.already_sent, whole.failed_unchanged)
    assert whole.already_sent + whole.failed_unchanged > 0


def test_the_ledger_of_many_items_read_whole_and_of_few_read_by_key_are_the_rows_they_name(stored, monkeypatch):
    monkeypatch.setattr(push_plan_reads, "IDS_PER_QUERY", 3)
    whole_ledger = read_ledger(stored, "acme")
    # Every other record (at least half of each sObject's rows: read whole, then picked), and every
    # sixth (fewer than half: read by key, three ids a query).
    for part in (whole_ledger, whole_ledger.iloc[::3]):
        items = _items(part)
        named = set(zip(items["sobject"], items["external_id"], strict=True))
        expected = whole_ledger.loc[[k in named for k in zip(whole_ledger["sobject"], whole_ledger["external_id"],
                                                              strict=True)]]
        ledger = push_plan_reads.ledger_of_items(stored, "acme", items)
        key = ["sobject", "external_id"]
        pd.testing.assert_frame_equal(ledger.sort_values(key).reset_index(drop=True)[list(expected.columns)],
                                      expected.sort_values(key).reset_index(drop=True))


def test_a_plan_with_no_items_reads_no_ledger_or_base_rows(stored):
    items = _items(read_ledger(stored, "acme")).iloc[0:0]
    ledger = push_plan_reads.ledger_of_items(stored, "acme", items)
    assert ledger.empty and push_plan_reads.base_of_sent(stored, "acme", ledger).empty


@pytest.mark.postgres
def test_a_copy_sent_in_chunks_of_a_few_rows_stores_what_one_piece_stores(postgres_db, monkeypatch):
    from crm_pipelines.store import bulk

    rows = _ledger_rows(25)
    with postgres_db.transaction() as conn:
        insert_frame(conn, crm_push_results, rows)
    with postgres_db.engine.connect() as conn:
        whole = read_frame(conn, crm_push_results, order_by=["sobject", "external_id"])
    with postgres_db.transaction() as conn:
        conn.execute(crm_push_results.delete())
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 4)
    with postgres_db.transaction() as conn:
        assert insert_frame(conn, crm_push_results, rows) == 25
    with postgres_db.engine.connect() as conn:
        pd.testing.assert_frame_equal(read_frame(conn, crm_push_results, order_by=["sobject", "external_id"]), whole)
