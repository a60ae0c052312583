"""W2: each operator on a hand-built column, with the edge cases written out."""

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.core.workflow_fixtures import matching

TITLES = ["VP Sales", "  vp sales  ", "SVP Marketing", "Director", "", "   ", None]
# p0 ....... p1 ........... p2 ............ p3 ........ p4  p5 .... p6


def test_equals_ignores_case_and_surrounding_whitespace():
    assert matching("title", "equals", "vp sales", TITLES) == ["p0", "p1"]


def test_equals_ignores_whitespace_around_the_criterions_value_too():
    assert matching("title", "equals", "  VP SALES ", TITLES) == ["p0", "p1"]


def test_equals_empty_text_holds_for_blank_and_missing_values():
    assert matching("title", "equals", "", TITLES) == ["p4", "p5", "p6"]


def test_not_equals_holds_for_other_and_for_empty_values():
    assert matching("title", "not_equals", "VP Sales", TITLES) == ["p2", "p3", "p4", "p5", "p6"]


def test_contains_is_a_case_insensitive_substring():
    assert matching("title", "contains", "VP", TITLES) == ["p0", "p1", "p2"]


def test_not_contains_holds_for_empty_values():
    assert matching("title", "not_contains", "vp", TITLES) == ["p3", "p4", "p5", "p6"]


def test_starts_with_looks_past_leading_whitespace():
    assert matching("title", "starts_with", "VP", TITLES) == ["p0", "p1"]


def test_is_empty_means_missing_or_blank():
    assert matching("title", "is_empty", None, TITLES) == ["p4", "p5", "p6"]


def test_is_not_empty_means_some_text():
    assert matching("title", "is_not_empty", None, TITLES) == ["p0", "p1", "p2", "p3"]


def test_in_list_compares_each_item_like_equals():
    assert matching("status", "in_list", ["Disqualified", " nurture "],
                    ["disqualified", "Nurture", "Working", None]) == ["p0", "p1"]


def test_a_contains_value_is_text_not_a_pattern():
    assert matching("email", "contains", ".*", ["a.*b@x.com", "ab@x.com"]) == ["p0"]


SCORES = [10.0, 50.0, 75.5, np.nan]


def test_greater_than_compares_numbers_as_numbers():
    assert matching("lead_score", "greater_than", 50, SCORES) == ["p2"]


def test_less_than_compares_numbers_as_numbers():
    assert matching("lead_score", "less_than", 50, SCORES) == ["p0"]


def test_a_missing_number_is_neither_greater_nor_less():
    assert "p3" not in matching("lead_score", "greater_than", -1e9, SCORES)
    assert "p3" not in matching("lead_score", "less_than", 1e9, SCORES)


def test_a_number_given_as_text_in_the_criterion_compares_as_a_number():
    assert matching("lead_score", "greater_than", "9", SCORES) == ["p0", "p1", "p2"]


NUMBERS_AS_TEXT = ["9", " 10 ", "1e2", "-5", "1,000", "n/a", "", None, "inf"]
# p0 ............ p1 ..... p2 .. p3 .. p4 ..... p5 ... p6  p7 .. p8


def test_numbers_kept_as_text_compare_numerically_not_alphabetically():
    assert matching("employees_text", "greater_than", 9, NUMBERS_AS_TEXT, dtype="str") == ["p1", "p2"]


def test_text_that_is_not_a_number_never_orders():
    assert matching("employees_text", "less_than", 1e12, NUMBERS_AS_TEXT, dtype="str") == ["p0", "p1", "p2", "p3"]


def test_equals_on_a_number_field_compares_values_not_spelling():
    assert matching("employees_text", "equals", 100, NUMBERS_AS_TEXT, dtype="str") == ["p2"]
    assert matching("lead_score", "equals", "50.0", SCORES) == ["p1"]


def test_not_equals_on_a_number_holds_for_text_that_is_no_number():
    assert matching("employees_text", "not_equals", 9, NUMBERS_AS_TEXT, dtype="str") == [
        "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8",
    ]


def test_is_empty_on_a_number_field_means_missing_or_blank_not_unreadable():
    assert matching("employees_text", "is_empty", None, NUMBERS_AS_TEXT, dtype="str") == ["p6", "p7"]


def test_numbers_and_numeric_text_mixed_in_one_column_are_both_read():
    assert matching("employees_text", "in_list", ["42", "7"], [42, "7", "42.0", True, None], dtype=object) == [
        "p0", "p1", "p2",
    ]


ACTIVITY = pd.Series(pd.to_datetime(
    ["2024-04-30T23:59:59Z", "2024-05-01T00:00:00Z", "2024-05-01T09:30:00+02:00", None], utc=True
)).astype("datetime64[us, UTC]")


def test_datetimes_order_as_points_in_time():
    assert matching("last_activity_at", "greater_than", "2024-05-01T07:00:00+00:00", ACTIVITY) == ["p2"]


def test_a_date_compared_with_a_datetime_field_is_midnight_utc():
    assert matching("last_activity_at", "less_than", "2024-05-01", ACTIVITY) == ["p0"]
    assert matching("last_activity_at", "equals", "2024-05-01", ACTIVITY) == ["p1"]


def test_a_datetime_without_a_zone_is_utc():
    assert matching("last_activity_at", "equals", "2024-05-01T07:30:00", ACTIVITY) == ["p2"]


def test_a_missing_datetime_is_empty_and_never_orders():
    assert matching("last_activity_at", "is_empty", None, ACTIVITY) == ["p3"]
    assert "p3" not in matching("last_activity_at", "greater_than", "1900-01-01", ACTIVITY)


def test_datetimes_kept_as_iso_text_are_read_as_datetimes():
    text = ["2024-05-02", "2024-05-01T23:00:00-02:00", "yesterday", None]
    assert matching("last_activity_at", "greater_than", "2024-05-01T12:00:00Z", text, dtype="str") == ["p0", "p1"]


RENEWALS = pd.Series(pd.to_datetime(["2024-12-31", "2025-01-01", None])).astype("datetime64[us]")


def test_dates_order_by_day():
    assert matching("renewal_date", "greater_than", "2024-12-31", RENEWALS) == ["p1"]
    assert matching("renewal_date", "less_than", "2025-01-01", RENEWALS) == ["p0"]


def test_dates_in_a_list():
    assert matching("renewal_date", "in_list", ["2025-01-01", "2026-01-01"], RENEWALS) == ["p1"]


def test_a_switch_equals_true_or_false_and_a_missing_one_is_neither():
    flags = pd.Series([True, False, pd.NA], dtype="boolean")
    assert matching("opted_out", "equals", "true", flags) == ["p0"]
    assert matching("opted_out", "equals", "false", flags) == ["p1"]
    assert matching("opted_out", "not_equals", "true", flags) == ["p1", "p2"]
    assert matching("opted_out", "is_empty", None, flags) == ["p2"]


def test_a_switch_kept_as_text_reads_true_and_false_in_any_case():
    assert matching("partner", "equals", "TRUE", [" True", "false", "yes", None], dtype="str") == ["p0"]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_text_compares_the_same_whatever_the_columns_string_dtype(dtype):
    assert matching("title", "contains", "vp", TITLES, dtype=dtype) == ["p0", "p1", "p2"]


def test_columns_with_pyarrow_dtypes_compare_like_numpy_ones():
    moments = pd.Series(ACTIVITY.tolist(), dtype=pd.ArrowDtype(pa.timestamp("us", "UTC")))
    assert matching("last_activity_at", "greater_than", "2024-05-01T07:00:00+00:00", moments) == ["p2"]
    scores = pd.Series([10, 50, None], dtype=pd.ArrowDtype(pa.int64()))
    assert matching("lead_score", "greater_than", 20, scores) == ["p1"]
    titles = pd.Series(TITLES, dtype=pd.ArrowDtype(pa.large_string()))
    assert matching("title", "is_empty", None, titles) == ["p4", "p5", "p6"]


def test_a_categorical_column_compares_by_its_values():
    assert matching("title", "starts_with", "vp", TITLES, dtype="category") == ["p0", "p1"]
    assert matching("employees_text", "greater_than", 9, NUMBERS_AS_TEXT, dtype="category") == ["p1", "p2"]


def test_date_and_datetime_objects_in_a_column_compare_like_typed_ones():
    renewals = [date(2024, 12, 31), date(2025, 1, 1), None, "2025-01-01"]
    assert matching("renewal_date", "equals", "2025-01-01", renewals, dtype=object) == ["p1", "p3"]
    moments = [datetime(2024, 5, 1, 9, 30, tzinfo=UTC), datetime(2024, 5, 1, 7, 0), None]
    assert matching("last_activity_at", "greater_than", "2024-05-01T08:00:00Z", moments, dtype=object) == ["p0"]
