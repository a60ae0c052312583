"""An app user's edit keeps each field's own change time (F3), and the three-way base is stored
per pair and field, one tenant at a time, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from crm_pipelines.store.app_data import read_app_table, write_app_table
from crm_pipelines.store.app_edits import AppEditError, edit_app_record
from crm_pipelines.store.field_sync_base import read_base, store_base

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _prospect(db, tenant: str = "acme") -> None:
    write_app_table(db, tenant, "prospects", pd.DataFrame({
        "prospect_id": ["p1"], "title": ["CEO"], "phone": ["111"], "updated_at": [pd.Timestamp(T0)]}))


def test_an_edit_sets_the_fields_updated_at_and_each_fields_own_change_time(db):
    _prospect(db)
    edit_app_record(db, "acme", "prospects", "p1", {"title": "CTO"}, T0 + timedelta(hours=1))
    edit_app_record(db, "acme", "prospects", "p1", {"phone": "222"}, T0 + timedelta(hours=2))
    row = read_app_table(db, "acme", "prospects").iloc[0]
    assert (row["title"], row["phone"]) == ("CTO", "222")
    assert row["updated_at"] == pd.Timestamp(T0 + timedelta(hours=2))
    times = {k: pd.Timestamp(v) for k, v in row["field_changed_at"].items()}
    assert times == {"title": pd.Timestamp(T0 + timedelta(hours=1)), "phone": pd.Timestamp(T0 + timedelta(hours=2))}


def test_the_change_times_survive_a_rewrite_of_the_table(db):
    _prospect(db)
    edit_app_record(db, "acme", "prospects", "p1", {"title": "CTO"}, T0)
    write_app_table(db, "acme", "prospects", read_app_table(db, "acme", "prospects"))
    assert set(read_app_table(db, "acme", "prospects").iloc[0]["field_changed_at"]) == {"title"}


@pytest.mark.parametrize(("table", "app_id", "values", "at", "says"), [
    ("companies", "c1", {"name": "x"}, T0, "takes no field edits"),
    ("prospects", "p1", {"nope": "x"}, T0, "no editable field(s) nope"),
    ("prospects", "p1", {"prospect_id": "p2"}, T0, "no editable field(s) prospect_id"),
    ("prospects", "p9", {"title": "x"}, T0, "no prospects record 'p9'"),
    ("prospects", "p1", {"title": "x"}, datetime(2026, 3, 1), "time zone"),
])
def test_a_bad_edit_is_refused_with_what_was_wrong(db, table, app_id, values, at, says):
    _prospect(db)
    with pytest.raises(AppEditError, match=says.replace("(", r"\(").replace(")", r"\)")):
        edit_app_record(db, "acme", table, app_id, values, at)


def test_another_tenants_record_is_not_edited(db):
    _prospect(db, "acme")
    _prospect(db, "globex")
    edit_app_record(db, "acme", "prospects", "p1", {"title": "CTO"}, T0)
    assert read_app_table(db, "globex", "prospects").iloc[0]["title"] == "CEO"


def _base(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["object", "app_id", "crm_id", "field", "value"])


def test_the_base_is_upserted_per_pair_and_field_and_kept_per_tenant(db):
    crm = "00Q000000000001AAA"
    with db.transaction() as conn:
        store_base(conn, "acme", _base(("prospect", "p1", crm, "title", "CEO"), ("prospect", "p1", crm, "phone", None)), T0)
        store_base(conn, "globex", _base(("prospect", "p1", crm, "title", "VP")), T0)
    with db.transaction() as conn:
        store_base(conn, "acme", _base(("prospect", "p1", crm, "title", "CTO")), T0 + timedelta(hours=1))
    base = read_base(db, "acme", "prospect")
    assert base[["field", "value"]].astype(object).where(base[["field", "value"]].notna(), None).values.tolist() == [
        ["phone", None], ["title", "CTO"]]
    assert read_base(db, "globex")["value"].tolist() == ["VP"]
    assert read_base(db, "acme", "campaign").empty
