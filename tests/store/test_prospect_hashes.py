"""The store's hash of each prospect's row (app_data.read_prospect_hashes, issue 17): the changed
ranges of the prospect sync find which prospects changed from it without reading every column
of every one. Equal rows hash alike from one read to the next; a change to any column, a time's
last microsecond, a JSON value or an empty text where there was none, changes the hash; the
places come as read_app_table gives them. On SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from crm_pipelines.store import copy_reads
from crm_pipelines.store.app_data import read_app_table, read_prospect_hashes, write_app_tables

PLACES = ["prospect_id", "crm_id", "is_deleted"]
AT = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def _prospects() -> pd.DataFrame:
    return pd.DataFrame({
        "prospect_id": ["p1", "p2", "p3", "p4"],
        "crm_id": ["003000000000001AAA", None, "00Q000000000003AAA", None],
        "is_deleted": [False, False, True, None],
        "title": ["CEO", None, "CTO", ""],
        "lead_score": [1.5, None, 0.1, 3.0],
        "updated_at": [AT, AT, None, AT],
        "field_changed_at": [{"title": "2026-01-01T00:00:00Z"}, None, None, {}],
    })


EDITS = {
    "title": ("p2", "VP"),
    "lead_score": ("p3", 0.1000001),
    "updated_at": ("p1", AT.replace(microsecond=123457)),
    "field_changed_at": ("p1", {"title": "2026-01-01T00:00:01Z"}),
    "empty-text": ("p2", ""),
    "crm_id": ("p4", "003000000000004AAA"),
}


def _hashes(db) -> pd.Series:
    read = read_prospect_hashes(db, "acme", PLACES)
    return read.set_index("prospect_id")["row_hash"]


def test_places_are_read_app_tables_and_equal_rows_hash_alike(db):
    write_app_tables(db, "acme", {"prospects": _prospects()})
    read = read_prospect_hashes(db, "acme", PLACES)
    pd.testing.assert_frame_equal(read[PLACES], read_app_table(db, "acme", "prospects", columns=PLACES))
    assert read["row_hash"].nunique() == 4
    more = [*PLACES, "updated_at", "field_changed_at", "lead_score"]  # a time, JSON and a number read alike too
    pd.testing.assert_frame_equal(read_prospect_hashes(db, "acme", more)[more],
                                  read_app_table(db, "acme", "prospects", columns=more))
    write_app_tables(db, "acme", {"prospects": _prospects().iloc[::-1]})  # the same rows written again
    pd.testing.assert_series_equal(_hashes(db), read.set_index("prospect_id")["row_hash"])


def test_a_read_in_blocks_gives_what_one_read_gives(db, monkeypatch):
    write_app_tables(db, "acme", {"prospects": _prospects()})
    whole = read_prospect_hashes(db, "acme", PLACES)
    monkeypatch.setattr(copy_reads, "BLOCK_BYTES", 64)  # the PostgreSQL read: 4 rows in several blocks
    pd.testing.assert_frame_equal(read_prospect_hashes(db, "acme", PLACES), whole)
    write_app_tables(db, "acme", {"prospects": _prospects().iloc[0:0]})
    assert read_prospect_hashes(db, "acme", PLACES).empty


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_change_to_any_column_changes_that_prospects_hash_alone(db, edit):
    write_app_tables(db, "acme", {"prospects": _prospects()})
    before = _hashes(db)
    prospect, value = EDITS[edit]
    column = "title" if edit == "empty-text" else edit
    edited = _prospects()
    values = edited[column].tolist()
    values[edited.index[edited["prospect_id"] == prospect][0]] = value
    edited[column] = values
    write_app_tables(db, "acme", {"prospects": edited})
    after = _hashes(db)
    assert (after != before).tolist() == [p == prospect for p in before.index]


def test_another_tenants_prospects_are_not_read(db):
    write_app_tables(db, "acme", {"prospects": _prospects()})
    write_app_tables(db, "globex", {"prospects": _prospects().assign(prospect_id=["g1", "g2", "g3", "g4"])})
    assert _hashes(db).index.tolist() == ["p1", "p2", "p3", "p4"]
