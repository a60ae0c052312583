"""The field sync base stored as one row per linked pair (issue 17): what a row per field held is
read back the same after the migration and after a downgrade, a write merges its fields into the
pair's, and each field keeps the time it was stored at, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from crm_pipelines.store import migrate
from crm_pipelines.store.field_sync_base import pairs_stored_since, read_base, store_base, write_base
from crm_pipelines.store.types import UtcDateTime
from tests.store.test_migrations import _fresh

T0 = datetime(2026, 3, 1, 9, 30, 15, 123457, tzinfo=UTC)
CRM = "00Q000000000001AAA"
AWKWARD = ['say "hi"', "back\\slash", "two\nlines\ttab", "", "Zoë 東京 🙂", "{\"json\": [1]}", None]

_OLD = sa.table("field_sync_base", *(sa.column(c) for c in ("tenant_id", "object", "app_id", "crm_id", "field", "value")),
                sa.column("synced_at", UtcDateTime()))


def _field_rows() -> list[dict]:
    rows = [{"tenant_id": "acme", "object": "prospect", "app_id": "p1", "crm_id": CRM, "field": f"f{i}",
             "value": value, "synced_at": T0 + timedelta(microseconds=i)} for i, value in enumerate(AWKWARD)]
    rows.append({"tenant_id": "acme", "object": "prospect", "app_id": "p1", "crm_id": CRM, "field": "never",
                 "value": "x", "synced_at": None})
    rows.append({"tenant_id": "acme", "object": "campaign", "app_id": "c1", "crm_id": "701000000000001AAA",
                 "field": "name", "value": "Spring", "synced_at": T0 - timedelta(days=400)})
    rows.append({"tenant_id": "globex", "object": "prospect", "app_id": "p1", "crm_id": CRM, "field": "f0",
                 "value": "theirs", "synced_at": T0})
    return rows


def _expected(tenant: str) -> pd.DataFrame:
    rows = sorted((r for r in _field_rows() if r["tenant_id"] == tenant),
                  key=lambda r: (r["object"], r["app_id"], r["crm_id"], r["field"]))
    frame = pd.DataFrame(rows).drop(columns=["tenant_id"])
    out = frame[["object", "app_id", "crm_id", "field", "value"]].astype("string")
    out["synced_at"] = pd.to_datetime(frame["synced_at"], utc=True).astype("datetime64[us, UTC]")
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def at_0019(request, tmp_path):
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    db, ctx = _fresh(request.param, tmp_path)
    migrate.upgrade(db, "0019")
    yield db
    if ctx is not None:
        ctx.__exit__(None, None, None)


def _compared(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True).astype({c: "string" for c in ("object", "app_id", "crm_id", "field", "value")})


def test_a_base_stored_a_row_per_field_reads_back_the_same_after_the_migration_and_its_downgrade(at_0019):
    with at_0019.transaction() as conn:
        conn.execute(_OLD.insert(), _field_rows())
    migrate.upgrade_to_head(at_0019)
    for tenant in ("acme", "globex"):
        pd.testing.assert_frame_equal(_compared(read_base(at_0019, tenant)), _compared(_expected(tenant)))
    with at_0019.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM field_sync_base")).scalar() == 3  # a row a pair

    with at_0019.engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0019")
    with at_0019.engine.connect() as conn:
        back = conn.execute(sa.select(_OLD)).mappings().all()
    key = lambda r: (r["tenant_id"], r["object"], r["app_id"], r["field"])  # noqa: E731
    assert sorted(map(dict, back), key=key) == sorted(_field_rows(), key=key)


def _base(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["object", "app_id", "crm_id", "field", "value"])


def test_a_write_merges_its_fields_into_the_pair_and_each_field_keeps_its_own_time(db):
    later = T0 + timedelta(hours=1)
    with db.transaction() as conn:
        store_base(conn, "acme", _base(*[("prospect", "p1", CRM, f"f{i}", v) for i, v in enumerate(AWKWARD)]), T0,
                   new_records=True)
    with db.transaction() as conn:
        store_base(conn, "acme", _base(("prospect", "p1", CRM, "f1", "new"), ("prospect", "p1", CRM, "f9", None),
                                       ("prospect", "p2", CRM, "f0", "other pair")), later, new_records=True)
    base = read_base(db, "acme", "prospect")
    values = dict(zip(base.loc[base["app_id"] == "p1", "field"], base.loc[base["app_id"] == "p1", "value"].astype(object)))
    assert {k: (None if v is pd.NA else v) for k, v in values.items()} == {
        **{f"f{i}": v for i, v in enumerate(AWKWARD)}, "f1": "new", "f9": None}
    times = dict(zip(base["app_id"] + "." + base["field"], base["synced_at"]))
    assert times["p1.f0"] == pd.Timestamp(T0) and times["p1.f1"] == pd.Timestamp(later)
    assert times["p1.f9"] == pd.Timestamp(later) and times["p2.f0"] == pd.Timestamp(later)

    with db.engine.connect() as conn:
        assert sorted(pairs_stored_since(conn, "acme", "prospect", T0 + timedelta(minutes=1), None)) == [
            ("p1", CRM), ("p2", CRM)]
        # The fields stored at `later` are the run's own: p1's older ones were stored before `since`.
        assert pairs_stored_since(conn, "acme", "prospect", T0 + timedelta(minutes=1), later) == []
        assert pairs_stored_since(conn, "acme", "prospect", T0, later) == [("p1", CRM)]
        assert pairs_stored_since(conn, "globex", "prospect", T0, None) == []


def test_rows_with_their_own_times_are_stored_as_given_and_a_field_named_twice_takes_its_last_row(db):
    rows = _base(("prospect", "p1", CRM, "title", "first"), ("prospect", "p1", CRM, "title", "last"),
                 ("prospect", "p1", CRM, "phone", None))
    rows["synced_at"] = [pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(seconds=1)), pd.NaT]
    with db.transaction() as conn:
        assert write_base(conn, "acme", rows) == 2
    base = read_base(db, "acme")
    assert base["field"].tolist() == ["phone", "title"]
    assert base["value"].tolist()[1] == "last" and base["value"].isna().tolist() == [True, False]
    assert base["synced_at"].isna().tolist() == [True, False]
    assert base["synced_at"].iloc[1] == pd.Timestamp(T0 + timedelta(seconds=1))


def test_a_base_row_without_a_field_is_refused_naming_the_tenant(db):
    with db.transaction() as conn, pytest.raises(ValueError, match="tenant 'acme', field sync base"):
        store_base(conn, "acme", _base(("prospect", "p1", CRM, None, "x")), T0)
