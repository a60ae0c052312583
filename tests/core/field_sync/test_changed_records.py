"""Which records the prospect sync compares again (issue 17): a changed record with the prospects
it holds, the holder of a prospect storing a changed record, both records of a prospect that moved,
and everything when a record the last run saw is gone."""


from crm_pipelines.core.field_sync.changed_ranges import Dirty, Seen, changed_records, with_created


def _seen(records: dict[str, int], prospects: dict[str, tuple[int, str]]) -> Seen:
    held_at = [list(records).index(held) if held else -1 for _, held in prospects.values()]
    return Seen(list(records), list(records.values()), list(prospects), [h for h, _ in prospects.values()], held_at)


BEFORE = _seen({"A": 1, "B": 2, "C": 3, "D": 4}, {"p1": (10, "A"), "p2": (20, "B"), "p3": (30, "C"), "p4": (40, "")})
STORED = ["A", "B", "C", None]


def _changed(now: Seen, dirty: Dirty = Dirty(), stored=STORED) -> list[str]:
    flags = changed_records(now, BEFORE, dirty, stored)
    return [str(i) for i, f in zip(now.crm_ids.to_pylist(), flags, strict=True) if f]


def test_nothing_changed_compares_nothing():
    assert _changed(BEFORE) == []


def test_a_record_changed_or_new_is_compared():
    now = _seen({"A": 1, "B": 9, "C": 3, "D": 4, "E": 5}, {"p1": (10, "A"), "p2": (20, "B"), "p3": (30, "C"),
                                                           "p4": (40, "")})
    assert _changed(now) == ["B", "E"]


def test_a_prospect_that_moved_marks_the_record_it_left_and_the_one_it_joined():
    now = _seen({"A": 1, "B": 2, "C": 3, "D": 4}, {"p1": (11, "D"), "p2": (20, "B"), "p3": (30, "C"), "p4": (40, "")})
    assert _changed(now) == ["A", "D"]


def test_a_gone_or_named_prospect_marks_its_records():
    now = _seen({"A": 1, "B": 2, "C": 3, "D": 4}, {"p1": (10, "A"), "p3": (30, "C"), "p4": (40, "")})
    assert _changed(now, stored=["A", "C", None]) == ["B"]
    assert _changed(BEFORE, Dirty(prospect_ids=["p3"])) == ["C"]


def test_a_changed_record_marks_the_holder_of_each_prospect_storing_it():
    # p1 is held by A (matched) while storing C: C's change is p1's too.
    now = _seen({"A": 1, "B": 2, "C": 7, "D": 4}, {"p1": (10, "A"), "p2": (20, "B"), "p3": (30, "C"), "p4": (40, "")})
    assert _changed(now, stored=["C", "B", "C", None]) == ["A", "C"]


def test_store_side_changes_mark_records_and_unknown_ids_change_nothing():
    assert _changed(BEFORE, Dirty(crm_ids=["D", "not-in-the-org"])) == ["D"]


def test_a_record_the_last_run_saw_gone_compares_everything():
    now = _seen({"A": 1, "B": 2, "C": 3}, {"p1": (10, "A"), "p2": (20, "B"), "p3": (30, "C"), "p4": (40, "")})
    assert changed_records(now, BEFORE, Dirty(), STORED) is None


def test_what_a_run_saw_reads_back_as_it_was_stored():
    back = Seen.from_bytes(BEFORE.to_bytes())
    for name in ("crm_ids", "crm_hashes", "prospect_ids", "prospect_hashes", "held_at", "created"):
        assert list(getattr(back, name)) == list(getattr(BEFORE, name)), name
    assert back.held_at.tolist() == [0, 1, 2, -1]
    empty = Seen([], [], [], [], [])
    assert len(Seen.from_bytes(empty.to_bytes()).prospect_ids) == 0


def test_a_row_hash_does_not_move_with_the_precision_of_other_rows():
    """pandas formats a time column as text to the precision its finest value needs: one edited
    row with microseconds must not change every other row's hash."""
    import pandas as pd

    from crm_pipelines.core.field_sync.changed_ranges import row_hashes

    times = pd.Series(pd.to_datetime(["2024-01-11 15:12:48.200", "2024-01-12 10:00:00.000"], utc=True)).dt.as_unit("us")
    frame = pd.DataFrame({"id": ["a", "b"], "at": times, "extra": [{"x": 1}, None]})
    edited = frame.copy()
    edited.loc[1, "at"] = pd.Timestamp("2026-12-06 20:00:00.123456", tz="UTC")
    before, after = row_hashes(frame), row_hashes(edited)
    assert before[0] == after[0] and before[1] != after[1]


def test_the_prospects_a_run_created_join_its_marks_as_committed():
    """After comparing, the run created p5 (held by D) and p6 (held by B); meanwhile someone else
    added p9 and removed p2. The next run finds p5 and p6 as they were committed (nothing to
    compare), p9 new and p2 gone (their records compared)."""
    after = with_created(BEFORE, ["p1", "p3", "p4", "p5", "p6", "p9"], [False, False, False, True, True, False],
                         [0, 0, 0, 50, 60, 0], [-1, -1, -1, 3, 1, -1])
    assert after.prospect_ids.to_pylist() == ["p1", "p3", "p4", "p5", "p6", "p2"]
    assert after.prospect_hashes.tolist() == [10, 30, 40, 50, 60, 20]
    assert after.held_at.tolist() == [0, 2, -1, 3, 1, 1]
    assert after.created_ids().to_pylist() == ["p5", "p6"]
    back = Seen.from_bytes(after.to_bytes())
    assert back.created.tolist() == after.created.tolist() and back.held_at.tolist() == after.held_at.tolist()
    assert Seen.created_in(after.to_bytes()).to_pylist() == ["p5", "p6"]
    assert len(Seen.created_in(BEFORE.to_bytes())) == 0

    next_run = _seen({"A": 1, "B": 2, "C": 3, "D": 4}, {"p1": (10, "A"), "p3": (30, "C"), "p4": (40, ""),
                                                        "p5": (50, "D"), "p6": (60, "B"), "p9": (90, "C")})
    flags = changed_records(next_run, after, Dirty(), ["A", "C", None, "D", "B", "C"])
    assert [r for r, f in zip("ABCD", flags, strict=True) if f] == ["B", "C"]  # p2 left B, p9 joined C
    created_only = with_created(BEFORE, ["p1", "p2", "p3", "p4", "p5", "p6"], [0, 0, 0, 0, 1, 1],
                                [0, 0, 0, 0, 50, 60], [-1, -1, -1, -1, 3, 1])
    unchanged = _seen({"A": 1, "B": 2, "C": 3, "D": 4}, {"p1": (10, "A"), "p2": (20, "B"), "p3": (30, "C"),
                                                         "p4": (40, ""), "p5": (50, "D"), "p6": (60, "B")})
    assert not changed_records(unchanged, created_only, Dirty(), ["A", "B", "C", None, "D", "B"]).any()


def test_rows_hashed_a_slice_at_a_time_hash_as_all_at_once(monkeypatch):
    import pandas as pd

    from crm_pipelines.core.field_sync import changed_ranges

    frame = pd.DataFrame({"id": ["a", "b", "a", None, "c"], "n": [1, 2, 1, 4, 5],
                          "extra": [{"x": 1}, None, {"x": 1}, [], "t"]}, index=[9, 8, 7, 6, 5])
    whole = changed_ranges.row_hashes(frame)
    monkeypatch.setattr(changed_ranges, "_HASH_ROWS", 2)
    assert changed_ranges.row_hashes(frame).tolist() == whole.tolist()
    assert whole[0] == whole[2] and len(set(whole.tolist())) == 4
    assert len(changed_ranges.row_hashes(frame.iloc[0:0])) == 0
