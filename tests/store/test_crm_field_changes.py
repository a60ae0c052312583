"""The CRM's latest change time per (record, field) from its field history (F3): a history row
read again (the lookback, a resumed read) never moves a stored time back, and the history cursor
commits with its rows."""

from datetime import UTC, datetime

import pandas as pd

from crm_pipelines.core.extraction import Cursor
from crm_pipelines.store.crm_field_changes import commit_field_changes, read_field_changes
from crm_pipelines.store.crm_records import read_cursor

L1 = "00Q000000000001AAA"
T1, T2, T3 = (datetime(2026, 6, 1, h, tzinfo=UTC) for h in (1, 2, 3))


def changes(*rows: tuple[str, str, datetime]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": [r[0] for r in rows], "field": [r[1] for r in rows],
                         "changed_at": pd.to_datetime([r[2] for r in rows], utc=True)})


def test_the_latest_change_per_record_and_field_is_kept_and_never_moves_back(db):
    commit_field_changes(db, "acme", "Lead", "LeadHistory", changes((L1, "Title", T1), (L1, "Title", T2)),
                         Cursor(T2, "017000000000002AAA"), extracted_at=T3)
    commit_field_changes(db, "acme", "Lead", "LeadHistory", changes((L1, "Title", T1), (L1, "Phone", T3)),
                         Cursor(T3, "017000000000003AAA"), extracted_at=T3)
    stored = read_field_changes(db, "acme", "Lead")
    assert [(r.crm_id, r.field, r.changed_at) for r in stored.itertuples()] == [
        (L1, "Phone", pd.Timestamp(T3)), (L1, "Title", pd.Timestamp(T2))]
    assert read_cursor(db, "acme", "LeadHistory").cursor == Cursor(T3, "017000000000003AAA")
    assert read_field_changes(db, "other").empty and read_field_changes(db, "acme", "Contact").empty


def test_a_read_by_record_ids_gives_those_records_rows_as_the_whole_read_orders_them(db, monkeypatch):
    """The changed-records prospect sync reads the history of the records it compares by id, a few
    thousand at a time (two here): the rows of those ids alone, in the order a whole read gives."""
    monkeypatch.setattr("crm_pipelines.store.key_ranges.IDS_PER_READ", 2)
    leads = [f"00Q00000000000{n}AAA" for n in range(1, 6)]
    commit_field_changes(db, "acme", "Lead", "LeadHistory",
                         changes(*[(lead, field, T1) for lead in leads for field in ("Title", "Email")]),
                         None, extracted_at=T3)
    commit_field_changes(db, "acme", "Contact", "ContactHistory", changes((leads[0], "Title", T2)), None, extracted_at=T3)
    commit_field_changes(db, "other", "Lead", "LeadHistory", changes((leads[0], "Phone", T2)), None, extracted_at=T3)
    wanted = [leads[0], leads[2], leads[4], "00Q000000000009AAA"]

    read = read_field_changes(db, "acme", "Lead", record_ids=wanted)

    whole = read_field_changes(db, "acme", "Lead")
    expected = whole[whole["crm_id"].isin(wanted)].reset_index(drop=True)
    assert len(expected) == 6
    pd.testing.assert_frame_equal(read, expected)
    assert read_field_changes(db, "acme", "Lead", record_ids=[]).empty
