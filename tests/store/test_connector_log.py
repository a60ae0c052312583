"""The connector log's storage (F8): appended per tenant and run, read by record, time and limit."""

from datetime import UTC, datetime

import pandas as pd

from crm_pipelines.store.connector_log import append_log, log_row_ids, read_log


def _rows(*changes: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """(at, app_id, crm_id, old, new) per row; a title change pulled from the CRM."""
    return pd.DataFrame({
        "at": pd.to_datetime([c[0] for c in changes], utc=True),
        "object": "prospect", "app_id": [c[1] for c in changes], "crm_type": "Contact",
        "crm_id": [c[2] for c in changes], "field": "title", "crm_field": "Title",
        "old_value": [c[3] for c in changes], "new_value": [c[4] for c in changes],
        "direction": "crm_to_app", "reason": "crm_newer",
    }).astype({c: "string" for c in ("object", "app_id", "crm_type", "crm_id", "field", "crm_field",
                                      "old_value", "new_value", "direction", "reason")})


ROWS = _rows(
    ("2026-03-01T09:00Z", "p1", "003A", "CEO", "CTO"),
    ("2026-03-01T10:00Z", "p2", "003B", None, "VP"),
    ("2026-03-01T11:00Z", "p1", "003A", "CTO", "CFO"),
)


def test_log_rows_carry_tenant_and_run_and_read_back_oldest_first(db):
    assert append_log(db, "acme", ROWS, run_id="run-1", batch="prospects") == 3
    log = read_log(db, "acme")
    assert log["new_value"].tolist() == ["CTO", "VP", "CFO"]
    assert set(log["run_id"]) == {"run-1"} and set(log["tenant_id"]) == {"acme"}
    assert log["old_value"].isna().tolist() == [False, True, False]


def test_reading_by_record_matches_the_app_id_or_the_crm_id(db):
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    assert read_log(db, "acme", record="p1")["new_value"].tolist() == ["CTO", "CFO"]
    assert read_log(db, "acme", record="003B")["new_value"].tolist() == ["VP"]


def test_reading_since_a_time_includes_that_time(db):
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    since = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert read_log(db, "acme", since=since)["new_value"].tolist() == ["VP", "CFO"]


def test_a_limit_keeps_the_latest_rows(db):
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    assert read_log(db, "acme", limit=2)["new_value"].tolist() == ["VP", "CFO"]


def test_a_step_retried_in_its_run_does_not_log_twice(db):
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    append_log(db, "acme", ROWS.iloc[:1], run_id="run-2", batch="prospects")
    assert len(read_log(db, "acme")) == 4


def test_tenants_read_only_their_own_log(db):
    append_log(db, "acme", ROWS, run_id="run-1", batch="prospects")
    append_log(db, "globex", ROWS.iloc[:1], run_id="run-2", batch="prospects")
    assert len(read_log(db, "globex")) == 1
    assert len(read_log(db, "acme")) == 3


def test_columns_other_than_the_log_columns_are_never_stored(db):
    append_log(db, "acme", ROWS.assign(access_token="00Dxx!secret"), run_id="run-1", batch="prospects")
    log = read_log(db, "acme")
    assert "access_token" not in log.columns
    assert not log.astype("string").apply(lambda c: c.str.contains("secret").fillna(False)).any().any()


def test_log_row_ids_are_the_prefix_and_the_position_in_seven_digits_as_before():
    """The ids made in Arrow are the ids the former Python format call made, past ten million too."""
    for count in (0, 1, 12, 10_000_002):
        made = log_row_ids("run-1/synced_prospects/", count)
        former = "run-1/synced_prospects/" + pd.Series(range(count)).map("{:07d}".format)
        assert made.dtype == "string"
        assert made.tolist() == former.tolist()
