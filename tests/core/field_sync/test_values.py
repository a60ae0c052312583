"""Canonical field values: what counts as the same value, and text that reads back (F2, F8)."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crm_pipelines.core.field_sync.values import canonical, decode, encode, same


def test_numbers_compare_by_value_not_by_spelling():
    a = canonical(pd.Series([42, 1.5, None, "7"], dtype=object), "number")
    b = canonical(pd.Series([42.0, 1.50, None, 7.0]), "number")
    assert same(a, b, "number").tolist() == [True, True, True, True]


def test_an_empty_string_is_no_value():
    a = canonical(pd.Series(["", None, "x"]), "string")
    b = canonical(pd.Series([None, "", "x "]), "string")
    assert same(a, b, "string").tolist() == [True, True, False]


def test_crm_checkboxes_and_app_flags_compare_as_booleans():
    a = canonical(pd.Series([True, False, None], dtype="boolean"), "boolean")
    b = canonical(pd.Series(["true", "0", None], dtype="string"), "boolean")
    assert same(a, b, "boolean").tolist() == [True, True, True]


def test_datetimes_compare_as_instants_and_dates_as_days():
    a = canonical(pd.Series(["2024-03-01T12:00:00+02:00"]), "datetime")
    b = canonical(pd.Series([pd.Timestamp("2024-03-01T10:00:00Z")]), "datetime")
    assert same(a, b, "datetime").tolist() == [True]
    assert same(canonical(pd.Series(["2024-03-01"]), "date"), canonical(pd.Series([pd.Timestamp("2024-03-01")]), "date"),
                "date").tolist() == [True]


def test_values_are_written_as_plain_text():
    assert encode(canonical(pd.Series([42.0, 0.1, None]), "number"), "number").tolist() == ["42", "0.1", pd.NA]
    assert encode(canonical(pd.Series([True, False]), "boolean"), "boolean").tolist() == ["true", "false"]
    assert encode(canonical(pd.Series(["2024-03-01"]), "date"), "date").tolist() == ["2024-03-01"]
    assert encode(canonical(pd.Series([pd.Timestamp("2024-03-01T10:00:00.5Z")]), "datetime"), "datetime").tolist() == [
        "2024-03-01T10:00:00.500000Z"]


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)), max_size=20))
def test_numbers_read_back_as_written(values):
    numbers = canonical(pd.Series(values, dtype=object), "number")
    assert same(decode(encode(numbers, "number"), "number"), numbers, "number").all()


@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                                                  max_value=pd.Timestamp("2200-01-01").to_pydatetime())), max_size=20))
def test_datetimes_read_back_as_written(values):
    stamps = canonical(pd.Series([None if v is None else pd.Timestamp(v, tz="UTC") for v in values], dtype=object),
                       "datetime")
    assert same(decode(encode(stamps, "datetime"), "datetime"), stamps, "datetime").all()
