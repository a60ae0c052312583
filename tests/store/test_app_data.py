"""The app's tables, one tenant at a time, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from crm_pipelines.store.app_data import (
    UnknownAppTableError,
    app_record_exists,
    confirm_match,
    read_app_table,
    write_app_table,
    write_app_tables,
)
from crm_pipelines.store.io_manager import TenantRowsError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _users(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"user_id": list(ids), "email": [f"{i}@acme.com" for i in ids],
                         "full_name": [i.title() for i in ids], "is_active": [True] * len(ids)})


def test_writing_an_app_table_replaces_only_that_tenants_rows(db):
    write_app_table(db, "acme", "app_users", _users("ann", "bob"))
    write_app_table(db, "globex", "app_users", _users("cid"))
    write_app_table(db, "acme", "app_users", _users("dee"))
    assert read_app_table(db, "acme", "app_users")["user_id"].tolist() == ["dee"]
    assert read_app_table(db, "globex", "app_users")["user_id"].tolist() == ["cid"]


def test_a_read_app_table_has_no_tenant_column_and_typed_values(db):
    write_app_table(db, "acme", "app_users", _users("ann"))
    users = read_app_table(db, "acme", "app_users")
    assert list(users.columns) == ["user_id", "email", "full_name", "is_active"]
    assert users["is_active"].dtype == "boolean"


def test_rule_selections_keep_their_rule_lists(db):
    write_app_table(db, "acme", "auto_save_rule_selections",
                    pd.DataFrame({"user_id": ["ann"], "account_rules": [["A1", "A3"]], "lead_rules": [["P2"]]}))
    row = read_app_table(db, "acme", "auto_save_rule_selections").iloc[0]
    assert (list(row["account_rules"]), list(row["lead_rules"])) == (["A1", "A3"], ["P2"])


def test_several_tables_written_together_are_all_or_nothing(db):
    write_app_table(db, "acme", "app_users", _users("ann"))
    bad_prospects = pd.DataFrame({"prospect_id": ["p1"], "no_such_column": [1]})
    with pytest.raises(ValueError, match="no_such_column"):
        write_app_tables(db, "acme", {"app_users": _users("bob"), "prospects": bad_prospects})
    assert read_app_table(db, "acme", "app_users")["user_id"].tolist() == ["ann"]


def test_a_frame_holding_another_tenants_rows_is_refused(db):
    with pytest.raises(TenantRowsError, match="globex"):
        write_app_table(db, "acme", "app_users", _users("ann").assign(tenant_id="globex"))


def test_an_unknown_app_table_is_named_in_the_refusal(db):
    with pytest.raises(UnknownAppTableError, match="'crm_leads' is not an app table"):
        read_app_table(db, "acme", "crm_leads")


def test_confirming_a_match_again_replaces_the_earlier_confirmation(db):
    confirm_match(db, "acme", "prospect", "p1", "00Q000000000001AAA", T0)
    confirm_match(db, "acme", "prospect", "p1", "003000000000002AAA", T0.replace(hour=10))
    overrides = read_app_table(db, "acme", "match_overrides")
    assert overrides[["entity", "app_id", "crm_id"]].values.tolist() == [["prospect", "p1", "003000000000002AAA"]]
    assert overrides["confirmed_at"].iloc[0] == pd.Timestamp("2026-03-01 10:00", tz="UTC")


def test_an_app_record_exists_only_for_its_own_tenant(db):
    write_app_table(db, "acme", "app_users", _users("ann"))
    assert app_record_exists(db, "acme", "user", "ann")
    assert not app_record_exists(db, "globex", "user", "ann")
    assert not app_record_exists(db, "acme", "prospect", "ann")


def test_a_frame_concatenated_onto_an_empty_one_is_written_intact(db):
    text = {"user_id": "string", "email": "string", "full_name": "string"}
    users = pd.concat([_users().astype(text), _users("ann").astype(text)], ignore_index=True)
    assert users["email"].array._pa_array.num_chunks == 2  # the shape that once came out as NUL bytes
    write_app_table(db, "acme", "app_users", users)
    assert read_app_table(db, "acme", "app_users")["email"].tolist() == ["ann@acme.com"]
