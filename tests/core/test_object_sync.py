"""One object's sync as choices and numbers (E2, E3, F3): its mode, where its read starts, which
fields' history it reads, what its pages add up to."""

from datetime import UTC, datetime, timedelta

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.extraction import Cursor, convert_page
from crm_pipelines.core.object_sync import ReadTally, read_since, sync_mode, tally_page, two_way_fields
from crm_pipelines.settings import FieldMapping
from tests.core.test_extraction import account

CURSOR = Cursor(datetime(2024, 3, 1, 10, 0, tzinfo=UTC), "001000000000009AAA")


def test_a_sync_is_full_until_the_first_full_sync_completed_and_resumed_when_it_stopped_part_way():
    assert sync_mode(None, None) == "full"
    assert sync_mode(CURSOR, None) == "resumed full"
    assert sync_mode(CURSOR, datetime(2024, 3, 1, 11, 0, tzinfo=UTC)) == "incremental"


def test_a_read_starts_the_lookback_before_the_cursor_and_at_the_beginning_without_one():
    assert read_since(CURSOR, timedelta(seconds=600)) == datetime(2024, 3, 1, 9, 50, tzinfo=UTC)
    assert read_since(None, timedelta(seconds=600)) is None


def test_the_history_read_is_of_the_objects_two_way_fields_only():
    mappings = [
        FieldMapping(crm_object="Lead", app_field="title", crm_field="Title", direction="two_way"),
        FieldMapping(crm_object="Lead", app_field="phone", crm_field="Phone", direction="push"),
        FieldMapping(crm_object="Contact", app_field="title", crm_field="Title", direction="two_way"),
        FieldMapping(crm_object="Lead", app_field="company", crm_field="Company", direction="two_way"),
    ]
    assert two_way_fields(mappings, "Lead") == ["Company", "Title"]
    assert two_way_fields(mappings, "Campaign") == []


def test_pages_add_up_records_deleted_rows_and_rejects():
    account_ = BY_NAME["Account"]
    first = convert_page([account("001000000000001AAA", "2024-03-01T10:00:00.000+0000"),
                          account("001000000000002AAA", "2024-03-01T10:01:00.000+0000", IsDeleted=True)], account_)
    second = convert_page([account("not-an-id", "2024-03-01T10:02:00.000+0000")], account_)
    tally = tally_page(tally_page(ReadTally(), 2, first), 1, second)
    assert tally == ReadTally(pages=2, records_read=3, rows_deleted=1, rejected=1)


def test_an_empty_page_counts_as_a_page_and_nothing_else():
    assert tally_page(ReadTally(), 0, convert_page([], BY_NAME["Account"])) == ReadTally(pages=1)


def test_an_unordered_read_moves_the_cursor_only_after_its_last_page_to_the_latest_record_of_it():
    from datetime import UTC, datetime

    from crm_pipelines.core.extraction import Cursor
    from crm_pipelines.core.object_sync import ReadInProgress, commit_for_page

    at = lambda hour: Cursor(datetime(2026, 6, 1, hour, tzinfo=UTC), f"003{hour:015d}")  # noqa: E731
    started = datetime(2026, 6, 1, 12, tzinfo=UTC)
    # In cursor order: each page moves the cursor at once.
    assert commit_for_page(at(1), None, at(3), ordered=True, resume_from=None, started_at=None).cursor == at(3)
    # A Bulk page with a later record: the cursor stays; the read remembers the latest it stored.
    first = commit_for_page(at(1), None, at(9), ordered=False, resume_from="p2", started_at=started)
    assert first.cursor is None and first.in_progress == ReadInProgress("p2", at(9), started)
    # An older record on a later page is not lost: the latest stays the latest.
    second = commit_for_page(at(1), first.in_progress.seen, at(4), ordered=False, resume_from="p3", started_at=started)
    assert second.cursor is None and second.in_progress.seen == at(9)
    # The last page moves the cursor to the latest record of the whole read, and ends it.
    last = commit_for_page(at(1), second.in_progress.seen, at(2), ordered=False, resume_from=None, started_at=started)
    assert last.cursor == at(9) and last.in_progress is None
