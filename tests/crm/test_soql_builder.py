"""Safe SOQL: a value from settings can never change a query's meaning."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crm_pipelines.crm.salesforce import soql


def test_string_literals_escape_quotes_and_backslashes():
    assert soql.literal("O'Brien") == r"'O\'Brien'"
    assert soql.literal("a\\' OR Name != '") == r"'a\\\' OR Name != \''"
    assert soql.literal("line\nbreak\ttab") == r"'line\nbreak\ttab'"


def test_injection_attempt_stays_one_literal():
    hostile = "x' OR Id != null OR Name = 'y"
    where = f"Name = {soql.literal(hostile)}"
    assert where == r"Name = 'x\' OR Id != null OR Name = \'y'"


def test_datetimes_are_utc_with_milliseconds_and_unquoted():
    moment = datetime(2024, 1, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert soql.literal(moment) == "2024-01-01T12:30:05.123Z"


def test_naive_datetimes_are_refused():
    with pytest.raises(soql.UnsafeSoql, match="naive"):
        soql.literal(datetime(2024, 1, 1))


def test_other_literals():
    assert soql.literal(None) == "null"
    assert soql.literal(True) == "true"
    assert soql.literal(42) == "42"
    assert soql.literal(date(2024, 2, 29)) == "2024-02-29"
    assert soql.in_list(["a", "b'c"]) == r"('a', 'b\'c')"


@pytest.mark.parametrize("bad", ["Name; DELETE", "Name FROM User", "1Name", "Na me", "", "Owner.Name"])
def test_names_outside_the_api_name_grammar_are_refused(bad):
    with pytest.raises(soql.UnsafeSoql):
        soql.name(bad)


def test_select_builds_from_checked_names():
    query = soql.select(["Id", "SystemModstamp"], "Account", "SystemModstamp >= 2024-01-01T00:00:00.000Z", ["SystemModstamp", "Id"])
    assert query == (
        "SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00.000Z "
        "ORDER BY SystemModstamp ASC, Id ASC"
    )
    with pytest.raises(soql.UnsafeSoql):
        soql.select(["Id"], "Account WHERE Name = 'x'")
