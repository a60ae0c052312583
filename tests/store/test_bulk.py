"""Bulk writes on each backend's fast path."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from crm_pipelines.store.bulk import insert_frame, read_frame
from crm_pipelines.store.tables import tenant_settings


@pytest.mark.postgres
def test_postgres_bulk_insert_uses_copy(postgres_db, monkeypatch):
    """COPY, not INSERT, carries the rows on PostgreSQL: statements sent are counted."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(postgres_db.engine, "before_cursor_execute", record)
    frame = pd.DataFrame(
        {
            "tenant_id": "acme",
            "setting": [f"k{i}" for i in range(5000)],
            "value": ["x"] * 5000,
            "is_default": True,
            "captured_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
    )
    with postgres_db.transaction() as conn:
        assert insert_frame(conn, tenant_settings, frame) == 5000
    event.remove(postgres_db.engine, "before_cursor_execute", record)
    assert not any(s.lstrip().upper().startswith("INSERT") for s in statements)
    with postgres_db.engine.connect() as conn:
        back = read_frame(conn, tenant_settings)
    assert len(back) == 5000


def test_naive_datetimes_are_refused(db):
    frame = pd.DataFrame(
        {"tenant_id": ["acme"], "setting": ["a"], "value": ["b"], "is_default": [True], "captured_at": [datetime(2026, 1, 1)]}
    )
    with pytest.raises(Exception, match="naive"):
        with db.transaction() as conn:
            insert_frame(conn, tenant_settings, frame)


@pytest.mark.postgres
def test_upsert_of_likely_new_rows_falls_back_when_some_exist(postgres_db):
    from crm_pipelines.store.bulk import upsert_frame

    def rows(values):
        return pd.DataFrame({"tenant_id": "acme", "setting": ["a", "b"], "value": values, "is_default": True,
                             "captured_at": datetime(2026, 1, 1, tzinfo=UTC)})

    with postgres_db.transaction() as conn:
        upsert_frame(conn, tenant_settings, rows(["1", "2"]), ["tenant_id", "setting"], likely_new=True)
    with postgres_db.transaction() as conn:
        upsert_frame(conn, tenant_settings, rows(["3", "4"]), ["tenant_id", "setting"], likely_new=True)
    with postgres_db.engine.connect() as conn:
        back = read_frame(conn, tenant_settings, order_by=["setting"])
    assert back["value"].tolist() == ["3", "4"]


@pytest.mark.postgres
def test_copied_times_and_dates_read_back_as_written(postgres_db):
    """COPY's text of zoned times (cast to wall time + '+00') and of dates is the same instant and day."""
    from crm_pipelines.core.crm_objects import BY_NAME
    from crm_pipelines.store.bulk import upsert_frame
    from crm_pipelines.store.tables import crm_tables

    table = crm_tables["Opportunity"]
    stamps = pd.Series(pd.to_datetime(["2024-02-29T23:59:59.999999Z", None, "1999-12-31T00:00:00.000000+05:00"], utc=True))
    frame = pd.DataFrame({"tenant_id": "acme", "id": ["006000000000001AAA", "006000000000002AAA", "006000000000003AAA"],
                          "system_modstamp": stamps.astype("datetime64[us, UTC]"),
                          "close_date": pd.to_datetime(["2024-02-29", None, "1999-12-31"]).astype("datetime64[us]"),
                          "extracted_at": datetime(2024, 3, 1, tzinfo=UTC)})
    with postgres_db.transaction() as conn:
        upsert_frame(conn, table, frame, ["tenant_id", "id"], likely_new=True)
    with postgres_db.engine.connect() as conn:
        back = read_frame(conn, table, order_by=["id"], columns=["id", "system_modstamp", "close_date"])
    assert back["system_modstamp"].tolist()[0] == stamps[0] and pd.isna(back["system_modstamp"][1])
    assert back["system_modstamp"].tolist()[2] == pd.Timestamp("1999-12-30T19:00:00Z")
    assert [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in back["close_date"]] == ["2024-02-29", None, "1999-12-31"]
    assert "close_date" in [f.column for f in BY_NAME["Opportunity"].fields]


@pytest.mark.postgres
def test_a_read_through_copy_gives_what_sqlalchemys_rows_give(postgres_db, monkeypatch):
    """On PostgreSQL read_frame reads through COPY ... TO STDOUT parsed by Arrow (the driver's rows
    were most of a large read's time), bound times converted as SQLAlchemy converts them: every type the tables hold (text with
    quotes, commas, line breaks and nothing in it, JSON, numbers, flags, dates, times, nulls) reads
    the same as through SQLAlchemy's rows, whatever the chunk or Arrow's block."""
    from sqlalchemy import select

    from crm_pipelines.store import bulk, copy_reads
    from crm_pipelines.store.bulk import upsert_frame
    from crm_pipelines.store.tables import crm_tables

    table = crm_tables["Opportunity"]
    ids = [f"00600000000000{n}AAA" for n in range(1, 7)]
    frame = pd.DataFrame({
        "tenant_id": "acme", "id": ids,
        "name": ["Deal", None, "Ünïcode ✓", "", "Quote \" , ;", "Two\nlines\r\n\"quoted\"\n"],
        "is_deleted": [False, True, False, None, False, True], "amount": [1.5, None, 0.0, -2.25, 1e12, 0.1],
        "close_date": pd.to_datetime(["2024-02-29", None, "1999-12-31", "2026-01-01", "2026-06-30", "0001-01-01"]
                                     ).astype("datetime64[us]"),
        "system_modstamp": pd.to_datetime(["2024-02-29T23:59:59.999999Z", None, "2026-01-01T00:00:00.000000Z",
                                           "2026-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.000000Z",
                                           "1969-12-31T23:59:59.999999Z"], utc=True).astype("datetime64[us, UTC]"),
        "mapped_fields": [{"Score__c": 7, "Tags__c": ["a", "b"]}, None, {}, {"Nested__c": {"x": None}},
                          {"Text__c": "é"}, {"Big__c": 2**53 + 1, "Float__c": 0.1, "Line__c": "a\nb,\""}],
        "extracted_at": datetime(2026, 3, 1, tzinfo=UTC)})
    with postgres_db.transaction() as conn:
        upsert_frame(conn, table, frame, ["tenant_id", "id"], likely_new=True)
    by_ids = (table.c.tenant_id == "acme") & table.c.id.in_(ids[:4] + ids[5:])
    new_york = datetime(2025, 12, 31, 19, 0, 0, 1, tzinfo=ZoneInfo("America/New_York"))  # 00:00:00.000001Z
    by_time = (table.c.tenant_id == "acme") & (table.c.system_modstamp >= new_york)
    by_range = (table.c.tenant_id == "acme") & (table.c.id >= ids[0]) & (table.c.id <= ids[3])
    none = table.c.tenant_id == "nobody"
    wheres = (by_range, by_ids, by_time, none)
    with postgres_db.engine.connect() as conn:
        assert all(copy_reads.copy_readable(select(table.c.id).where(w), conn) for w in wheres)
        times = table.c.extracted_at.in_([datetime(2026, 3, 1, tzinfo=UTC)])  # a list of times: SQLAlchemy's
        assert not copy_reads.copy_readable(select(table.c.id).where(times), conn)
        monkeypatch.setattr(copy_reads, "BLOCK_BYTES", 512)  # a few rows an Arrow block
        copies = [read_frame(conn, table, w, order_by=["id"], chunk_rows=2) for w in wheres]
        monkeypatch.setattr(bulk, "copy_readable", lambda *args: False)
        sqlalchemys = [read_frame(conn, table, w, order_by=["id"], chunk_rows=2) for w in wheres]
    assert [len(c) for c in copies] == [4, 5, 1, 0]
    for copied, sqlalchemy in zip(copies, sqlalchemys, strict=True):
        pd.testing.assert_frame_equal(copied, sqlalchemy)
    assert copies[0]["mapped_fields"].tolist()[0] == {"Score__c": 7, "Tags__c": ["a", "b"]}
    assert copies[1]["name"].tolist()[3:] == ["", "Two\nlines\r\n\"quoted\"\n"]
    assert pd.isna(copies[1]["name"][1])
    monkeypatch.undo()
    with postgres_db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # no transaction
        pd.testing.assert_frame_equal(read_frame(conn, table, by_ids, order_by=["id"]), sqlalchemys[1])


@pytest.mark.postgres
def test_a_read_of_one_column_keeps_its_null_rows(postgres_db):
    """A row of one NULL is an empty line of COPY's CSV: read as a null, never skipped as a blank line."""
    from crm_pipelines.store.bulk import upsert_frame
    from crm_pipelines.store.tables import crm_tables

    table = crm_tables["Opportunity"]
    frame = pd.DataFrame({"tenant_id": "acme", "id": [f"00600000000000{n}AAA" for n in range(1, 5)],
                          "name": [None, "Deal", None, ""], "extracted_at": datetime(2026, 3, 1, tzinfo=UTC)})
    with postgres_db.transaction() as conn:
        upsert_frame(conn, table, frame, ["tenant_id", "id"], likely_new=True)
    with postgres_db.engine.connect() as conn:
        names = read_frame(conn, table, table.c.tenant_id == "acme", order_by=["id"], columns=["name"])
    assert names["name"].isna().tolist() == [True, False, True, False]
    assert names["name"].dropna().tolist() == ["Deal", ""]
