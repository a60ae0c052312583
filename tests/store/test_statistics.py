"""A step that fills tables at once analyzes them (store.statistics, issue 17): afterwards the
database knows how many rows they hold, so it plans reads by id on their indexes."""

import pandas as pd
import pytest
from sqlalchemy import text

from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.statistics import refresh_statistics


def _planned_rows(db) -> float | None:
    with db.engine.connect() as conn:
        if db.is_postgres:
            return conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'prospects'")).scalar()
        found = conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
        if found is None:
            return None
        stat = conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'prospects' LIMIT 1")).scalar()
        return None if stat is None else float(stat.split()[0])


def test_analyzed_tables_know_their_rows(db):
    write_app_tables(db, "acme", {"prospects": pd.DataFrame({"prospect_id": [f"p{i}" for i in range(300)]})})
    refresh_statistics(db, ["prospects", "field_sync_base", "connector_log"])
    assert _planned_rows(db) == 300


def test_only_the_pipelines_tables_are_analyzed(db):
    with pytest.raises(KeyError, match="no table nonsense"):
        refresh_statistics(db, ["prospects", "nonsense"])
