"""select_rows returns the rows Salesforce would, in Salesforce's order, from hand-built tables."""

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipelines.sim.ids import make_id
from crm_pipelines.sim.query import select_rows
from crm_pipelines.sim.soql import parse

ACCOUNT_IDS = [make_id("001", n) for n in range(1, 8)]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(params=["string", "str"])
def accounts(request) -> pd.DataFrame:
    """Seven accounts; position 2 is deleted. Both pandas string dtypes (NA and NaN missing)."""
    text = request.param
    return pd.DataFrame({
        "Id": pd.array(ACCOUNT_IDS, dtype=text),
        "IsDeleted": [False, False, True, False, False, False, False],
        "Name": pd.array(
            ["Acme", "acme", "Beta", "beta", None, "Zeta 100%", "ACME_Corp"], dtype=text
        ),
        "Industry": pd.array(
            ["Banking", None, "Retail", "retail", "Banking", "Energy", None], dtype=text
        ),
        "NumberOfEmployees": [50.0, np.nan, 10.0, 200.0, 10.0, np.nan, 7.0],
        "AnnualRevenue": [1000.0, 2000.0, np.nan, 500.0, np.nan, 0.0, 3000.0],
        "SystemModstamp": pd.DatetimeIndex([
            utc("2024-01-01T00:00:00"), utc("2024-01-01T00:00:00"), utc("2024-01-02T00:00:00"),
            utc("2024-01-01T12:00:00"), utc("2023-12-31T23:00:00"), utc("2024-01-03T00:00:00"),
            utc("2024-01-01T00:00:00"),
        ]),
    })


@pytest.fixture
def opportunities() -> pd.DataFrame:
    return pd.DataFrame({
        "Id": pd.array([make_id("006", n) for n in range(4)], dtype="string"),
        "IsDeleted": [False, False, False, False],
        "CloseDate": pd.to_datetime(["2024-02-29", "2024-03-01", None, "2024-03-02"]),
        "IsClosed": [True, False, False, True],
    })


def rows(text: str, table: pd.DataFrame, include_deleted: bool = False) -> list[int]:
    return select_rows(parse(text), table, include_deleted=include_deleted).tolist()


# --- deleted rows ----------------------------------------------------------------------------


def test_query_leaves_out_deleted_rows(accounts) -> None:
    assert rows("SELECT Id FROM Account", accounts) == [0, 1, 3, 4, 5, 6]


def test_query_all_returns_deleted_rows_too(accounts) -> None:
    assert rows("SELECT Id FROM Account", accounts, include_deleted=True) == [0, 1, 2, 3, 4, 5, 6]


def test_where_is_deleted_is_honoured_by_query_all_only(accounts) -> None:
    text = "SELECT Id FROM Account WHERE IsDeleted = true"
    assert rows(text, accounts, include_deleted=True) == [2]
    assert rows(text, accounts) == []


# --- text ------------------------------------------------------------------------------------


def test_text_equality_ignores_case(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Name = 'ACME'", accounts) == [0, 1]


def test_not_equal_also_returns_null_fields(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Industry != 'Banking'", accounts) == [1, 3, 5, 6]


def test_equals_null_and_not_equals_null(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Industry = null", accounts) == [1, 6]
    assert rows("SELECT Id FROM Account WHERE Industry != null", accounts) == [0, 3, 4, 5]


def test_text_ranges_ignore_case(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Name > 'b'", accounts) == [3, 5]


def test_like_ignores_case_and_knows_both_wildcards(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Name LIKE 'acme%'", accounts) == [0, 1, 6]
    assert rows("SELECT Id FROM Account WHERE Name LIKE '_CME'", accounts) == [0, 1]


def test_like_escaped_wildcards_match_themselves(accounts) -> None:
    assert rows(r"SELECT Id FROM Account WHERE Name LIKE '%\%'", accounts) == [5]
    assert rows(r"SELECT Id FROM Account WHERE Name LIKE 'acme\_%'", accounts) == [6]
    assert rows(r"SELECT Id FROM Account WHERE Name LIKE 'acme\_'", accounts) == []


def test_in_ignores_case_for_text(accounts) -> None:
    text = "SELECT Id FROM Account WHERE Industry IN ('banking', 'RETAIL')"
    assert rows(text, accounts) == [0, 3, 4]


def test_not_in_also_returns_null_fields(accounts) -> None:
    text = "SELECT Id FROM Account WHERE Industry NOT IN ('Banking')"
    assert rows(text, accounts) == [1, 3, 5, 6]


def test_in_with_null_matches_null_fields(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE Industry IN (null, 'Energy')", accounts) == [1, 5, 6]


def test_not_negates_a_condition_null_rows_included(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE NOT Name = 'acme'", accounts) == [3, 4, 5, 6]


# --- numbers, datetimes, dates, booleans, ids ------------------------------------------------


def test_number_ranges_never_match_null(accounts) -> None:
    assert rows("SELECT Id FROM Account WHERE NumberOfEmployees < 100", accounts) == [0, 4, 6]
    assert rows("SELECT Id FROM Account WHERE AnnualRevenue >= 1000", accounts) == [0, 1, 6]
    assert rows("SELECT Id FROM Account WHERE AnnualRevenue = 0", accounts) == [5]


def test_datetime_literals_with_offsets_compare_in_utc(accounts) -> None:
    before = "SELECT Id FROM Account WHERE SystemModstamp <= 2024-01-01T00:00:00+01:00"
    at = "SELECT Id FROM Account WHERE SystemModstamp = 2023-12-31T18:00:00.000-05:00"
    assert rows(before, accounts) == [4]
    assert rows(at, accounts) == [4]


def test_date_fields_compare_with_date_literals(opportunities) -> None:
    assert rows("SELECT Id FROM Opportunity WHERE CloseDate >= 2024-03-01", opportunities) == [1, 3]
    assert rows("SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-29", opportunities) == [0]
    assert rows("SELECT Id FROM Opportunity WHERE CloseDate = null", opportunities) == [2]


def test_boolean_fields(opportunities) -> None:
    assert rows("SELECT Id FROM Opportunity WHERE IsClosed = true", opportunities) == [0, 3]
    assert rows("SELECT Id FROM Opportunity WHERE IsClosed != true", opportunities) == [1, 2]


def test_boolean_null_means_false(opportunities) -> None:
    assert rows("SELECT Id FROM Opportunity WHERE IsClosed = null", opportunities) == [1, 2]
    assert rows("SELECT Id FROM Opportunity WHERE IsClosed != null", opportunities) == [0, 3]


def test_ids_compare_exactly_and_agree_with_order_by_id() -> None:
    # Record numbers 10 and 36 end in A and a: a case-blind comparison would call them equal.
    numbers = [36, 10, 11, 37]
    table = pd.DataFrame({
        "Id": pd.array([make_id("001", n) for n in numbers], dtype="string"),
        "IsDeleted": [False] * 4,
    })
    assert rows(f"SELECT Id FROM Account WHERE Id > '{make_id('001', 10)}'", table) == [0, 2, 3]
    assert rows("SELECT Id FROM Account ORDER BY Id", table) == [1, 2, 0, 3]


def test_a_15_character_id_matches_the_stored_18_character_id(accounts) -> None:
    assert rows(f"SELECT Id FROM Account WHERE Id = '{ACCOUNT_IDS[3][:15]}'", accounts) == [3]


# --- the queries extraction sends ------------------------------------------------------------


def test_cursor_boundary_query_resumes_after_the_last_record_seen(accounts) -> None:
    text = (
        "SELECT Id FROM Account WHERE (SystemModstamp = 2024-01-01T00:00:00.000Z"
        f" AND Id > '{ACCOUNT_IDS[0]}') OR SystemModstamp > 2024-01-01T00:00:00.000Z"
        " ORDER BY SystemModstamp ASC, Id ASC"
    )
    assert rows(text, accounts) == [1, 6, 3, 5]


def test_time_window_query(accounts) -> None:
    text = (
        "SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00.000+00:00"
        " AND SystemModstamp < 2024-01-02T00:00:00Z ORDER BY SystemModstamp ASC"
    )
    assert rows(text, accounts) == [0, 1, 6, 3]


def test_count_selects_the_same_rows(accounts) -> None:
    assert rows("SELECT COUNT() FROM Account WHERE Industry = 'Banking'", accounts) == [0, 4]


# --- ORDER BY, LIMIT, OFFSET -----------------------------------------------------------------


def test_order_by_ascending_puts_nulls_first_ignores_case_keeps_ties_in_row_order(accounts) -> None:
    assert rows("SELECT Id FROM Account ORDER BY Name", accounts) == [4, 0, 1, 6, 3, 5]


def test_order_by_descending_puts_nulls_last(accounts) -> None:
    assert rows("SELECT Id FROM Account ORDER BY Name DESC", accounts) == [5, 3, 6, 0, 1, 4]


def test_order_by_explicit_nulls_last_then_a_second_key(accounts) -> None:
    text = "SELECT Id FROM Account ORDER BY NumberOfEmployees ASC NULLS LAST, Name"
    assert rows(text, accounts) == [6, 4, 0, 3, 1, 5]


def test_order_by_descending_nulls_first_then_id(accounts) -> None:
    text = "SELECT Id FROM Account ORDER BY Industry DESC NULLS FIRST, Id"
    assert rows(text, accounts) == [1, 6, 3, 5, 0, 4]


def test_order_by_datetime_descending(accounts) -> None:
    text = "SELECT Id FROM Account ORDER BY SystemModstamp DESC"
    assert rows(text, accounts) == [5, 3, 0, 1, 6, 4]


def test_offset_and_limit_cut_the_ordered_rows(accounts) -> None:
    assert rows("SELECT Id FROM Account ORDER BY Name LIMIT 2 OFFSET 1", accounts) == [0, 1]
    assert rows("SELECT Id FROM Account LIMIT 0", accounts) == []
    assert rows("SELECT Id FROM Account OFFSET 5", accounts) == [6]


# --- property: a conjunction selects what a row-by-row reading of SOQL selects ----------------

TIMESTAMPS = [
    utc("2024-01-01T00:00:00"), utc("2024-01-01T00:00:00.250"), utc("2024-06-30T23:59:59.999"),
]
DATES = [dt.date(2024, 1, 1), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
CELLS = {
    "Name": ["Acme", "acme", "Beta", "b'eta", "Zeta", None],
    "StageName": ["Prospecting", "Closed Won", "closed won", None],
    "Amount": [None, -3.0, 0.0, 5.5, 10.0],
    "CloseDate": [None, *DATES],
    "IsClosed": [True, False],
    "SystemModstamp": TIMESTAMPS,
}
LITERALS = {
    "Name": CELLS["Name"] + ["ACME", "c"],
    "StageName": CELLS["StageName"] + ["CLOSED WON"],
    "Amount": CELLS["Amount"] + [7.0],
    "CloseDate": CELLS["CloseDate"] + [dt.date(2023, 12, 31)],
    "IsClosed": [True, False, None],
    "SystemModstamp": TIMESTAMPS + [utc("2024-01-01T00:00:00.100"), None],
    "Id": [make_id("006", n) for n in range(8)] + [None],
}
TEXT_FIELDS = {"Name", "StageName"}
LIKE_PATTERNS = ["a%", "%ETA", "_eta", "closed%", "%", "b'%", "%o%n"]
ORDERINGS = ["=", "!=", "<", "<=", ">", ">="]


def soql_literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@st.composite
def comparisons(draw):
    field = draw(st.sampled_from(sorted(LITERALS)))
    ops = ["=", "!="] if field == "IsClosed" else ORDERINGS
    kinds = ops + ["IN", "NOT IN"] + (["LIKE"] if field in TEXT_FIELDS else [])
    op = draw(st.sampled_from(kinds))
    if op == "LIKE":
        return field, op, draw(st.sampled_from(LIKE_PATTERNS))
    literals = LITERALS[field]
    if op in ("IN", "NOT IN"):
        return field, op, draw(st.lists(st.sampled_from(literals), min_size=1, max_size=3))
    if op not in ("=", "!="):
        literals = [v for v in literals if v is not None]
    return field, op, draw(st.sampled_from(literals))


def comparison_text(field: str, op: str, value) -> str:
    if op in ("IN", "NOT IN"):
        return f"{field} {op} ({', '.join(soql_literal(v) for v in value)})"
    if op == "LIKE":
        return f"{field} LIKE {soql_literal(value)}"
    return f"{field} {op} {soql_literal(value)}"


def oracle_holds(row: dict, field: str, op: str, value) -> bool:
    """SOQL's reading of one comparison on one record, written out case by case."""
    cell = row[field]

    def is_null(v) -> bool:
        return v is False if field == "IsClosed" else v is None

    def same(literal) -> bool:
        if literal is None:
            return is_null(cell)
        if cell is None:
            return False
        if field in TEXT_FIELDS:
            return cell.lower() == literal.lower()
        return cell == literal

    if op == "IN":
        return any(same(v) for v in value)
    if op == "NOT IN":
        return not any(same(v) for v in value)
    if op == "LIKE":
        regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in value)
        return cell is not None and re.fullmatch(regex, cell, re.IGNORECASE | re.DOTALL) is not None
    if op == "=":
        return same(value)
    if op == "!=":
        return not same(value)
    if cell is None:
        return False
    left, right = (cell.lower(), value.lower()) if field in TEXT_FIELDS else (cell, value)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


record = st.fixed_dictionaries(
    {"IsDeleted": st.booleans(), **{f: st.sampled_from(v) for f, v in CELLS.items()}}
)


def opportunity_table(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "Id": pd.array([make_id("006", n) for n in range(len(records))], dtype="string"),
        "IsDeleted": np.array([r["IsDeleted"] for r in records], dtype=bool),
        "Name": pd.array([r["Name"] for r in records], dtype="string"),
        "StageName": pd.array([r["StageName"] for r in records], dtype="string"),
        "Amount": np.array(
            [np.nan if r["Amount"] is None else r["Amount"] for r in records], dtype=float
        ),
        "CloseDate": pd.to_datetime(pd.Series([r["CloseDate"] for r in records], dtype=object)),
        "IsClosed": np.array([r["IsClosed"] for r in records], dtype=bool),
        "SystemModstamp": pd.to_datetime(
            pd.Series([r["SystemModstamp"] for r in records], dtype=object), utc=True
        ),
    })


def selected(
    records: list[dict], table: pd.DataFrame, conjunction: list, include_deleted: bool
) -> None:
    """Assert that select_rows picks the records the oracle picks for the AND of `conjunction`."""
    condition = " AND ".join(comparison_text(*c) for c in conjunction)
    text = f"SELECT Id FROM Opportunity WHERE {condition}"
    expected = [
        n for n, r in enumerate(records)
        if (include_deleted or not r["IsDeleted"]) and all(oracle_holds(r, *c) for c in conjunction)
    ]
    assert rows(text, table, include_deleted) == expected, text


def every_single_comparison():
    for field, literals in LITERALS.items():
        ops = ["=", "!="] if field == "IsClosed" else ORDERINGS
        for op in ops:
            for value in literals:
                if value is not None or op in ("=", "!="):
                    yield field, op, value
        for value in literals:
            yield field, "IN", [value, literals[0]]
            yield field, "NOT IN", [value]
        if field in TEXT_FIELDS:
            for pattern in LIKE_PATTERNS:
                yield field, "LIKE", pattern


def test_every_single_comparison_selects_what_row_by_row_evaluation_selects() -> None:
    # Record n takes the n-th value of every field's pool, so each value meets each literal.
    records = [
        {
            "IsDeleted": n == 3, "Id": make_id("006", n),
            **{f: pool[n % len(pool)] for f, pool in CELLS.items()},
        }
        for n in range(8)
    ]
    table = opportunity_table(records)
    for comparison in every_single_comparison():
        selected(records, table, [comparison], include_deleted=False)
        selected(records, table, [comparison], include_deleted=True)


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(record, min_size=1, max_size=10),
    conjunction=st.lists(comparisons(), min_size=1, max_size=4),
    include_deleted=st.booleans(),
)
def test_conjunction_of_comparisons_selects_what_row_by_row_evaluation_selects(
    records, conjunction, include_deleted
) -> None:
    for n, r in enumerate(records):
        r["Id"] = make_id("006", n)
    table = opportunity_table(records)
    # Each comparison alone as well as the conjunction, so that every example tests several rules.
    for comparison in conjunction:
        selected(records, table, [comparison], include_deleted)
    selected(records, table, conjunction, include_deleted)
