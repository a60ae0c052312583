"""Which records the CRM deleted for good (E3), and how many calls the org's reserve leaves (S1)."""

from datetime import UTC, datetime, timedelta

from crm_pipelines.core.deletions import delete_log_window, deletions_from_log, log_reaches_back_to, missing_from_crm
from crm_pipelines.core.org_quota import calls_above_reserve, reserve_reason, reserved_calls

T0 = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)
LOOKBACK = timedelta(minutes=10)


def test_the_delete_log_is_read_from_its_last_coverage_else_from_the_record_cursor_less_the_lookback():
    assert delete_log_window(T0, None, LOOKBACK, T0 + timedelta(hours=1)).start == T0
    assert delete_log_window(None, T0, LOOKBACK, T0 + timedelta(hours=1)).start == T0 - LOOKBACK
    assert delete_log_window(None, None, LOOKBACK, T0) is None  # nothing extracted yet
    # Salesforce counts whole minutes and needs one at least between start and end.
    assert delete_log_window(T0, None, LOOKBACK, T0 + timedelta(seconds=25)) is None
    assert delete_log_window(T0, None, LOOKBACK, T0 + timedelta(seconds=31)).end == T0 + timedelta(seconds=31)


def test_a_log_purged_past_the_start_no_longer_answers_for_it():
    assert log_reaches_back_to(T0 - timedelta(days=1), T0)
    assert log_reaches_back_to(None, T0)
    assert not log_reaches_back_to(T0 + timedelta(minutes=2), T0)


def test_deletions_from_the_log_keep_the_latest_deletion_of_each_id():
    rows = deletions_from_log([
        {"id": "003A", "deletedDate": "2026-06-01T12:00:00.000+0000"},
        {"id": "003B", "deletedDate": "2026-06-01T12:01:00.000+0000"},
        {"id": "003A", "deletedDate": "2026-06-01T12:05:00.000+0000"},
    ])
    assert dict(zip(rows["id"], rows["deleted_at"].dt.minute, strict=True)) == {"003A": 5, "003B": 1}
    assert deletions_from_log([]).empty


def test_missing_from_crm_is_exactly_ours_that_the_crm_lacks():
    gone = missing_from_crm(["003A", "003B", "003C"], ["003B", "003Z"], T0)
    assert gone["id"].tolist() == ["003A", "003C"]
    assert (gone["deleted_at"] == T0).all()


def test_the_reserve_leaves_calls_only_above_its_share_of_the_cap():
    assert reserved_calls(100_000, 20) == 20_000
    assert reserved_calls(14, 50) == 7
    assert calls_above_reserve(79_997, 100_000, 20) == 3
    assert calls_above_reserve(80_000, 100_000, 20) == 0
    assert calls_above_reserve(99_000, 100_000, 20) == 0
    assert "20000 of its 100000 daily API calls left" in reserve_reason(80_000, 100_000, 20)
    assert "the last 20000 (20%" in reserve_reason(80_000, 100_000, 20)
