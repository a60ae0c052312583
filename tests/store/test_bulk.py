"""Bulk writes on each backend's fast path."""

from __future__ import annotations

from datetime import UTC, datetime

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
