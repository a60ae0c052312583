"""The SOQL parser reads what real clients send and refuses the rest as Salesforce does."""

import datetime as dt

import pandas as pd
import pytest

from crm_pipelines.sim.ids import make_id
from crm_pipelines.sim.soql import And, Comparison, InList, Like, Not, Or, Query, SoqlError, parse

ACCOUNT_ID = make_id("001", 7)


def where(condition_text: str, sobject: str = "Account"):
    return parse(f"SELECT Id FROM {sobject} WHERE {condition_text}").where


def refusal(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    return caught.value


# --- structure -------------------------------------------------------------------------------


def test_select_list_object_and_fields_take_the_schemas_spelling() -> None:
    query = parse("select id, NAME, systemmodstamp, tier__C from ACCOUNT")
    assert query == Query(
        sobject="Account", fields=("Id", "Name", "SystemModstamp", "Tier__c"), count_only=False,
        where=None, order_by=(), limit=None, offset=None,
    )


def test_keywords_are_case_insensitive() -> None:
    query = parse("sElEcT Id FrOm Account wHeRe Name = 'a' oRdEr bY Name dEsC nUlLs FiRsT lImIt 3")
    assert query.where == Comparison("Name", "=", "a")
    assert query.order_by == (("Name", False, "first"),)
    assert query.limit == 3


def test_select_count_has_no_fields() -> None:
    query = parse("SELECT COUNT() FROM Contact WHERE Email != null")
    assert query.count_only is True
    assert query.fields == ()
    assert query.where == Comparison("Email", "!=", None)


@pytest.mark.parametrize(("written", "op"), [
    ("=", "="), ("!=", "!="), ("<>", "!="), ("<", "<"), (">", ">"), ("<=", "<="), (">=", ">="),
])
def test_each_comparison_operator(written: str, op: str) -> None:
    assert where(f"NumberOfEmployees {written} 10") == Comparison("NumberOfEmployees", op, 10.0)


def test_in_and_not_in_lists() -> None:
    assert where("Industry IN ('Banking', 'Retail')") == InList(
        "Industry", ("Banking", "Retail"), negated=False
    )
    assert where("Industry NOT IN ('Banking')") == InList("Industry", ("Banking",), negated=True)


def test_in_list_may_hold_null() -> None:
    assert where("Industry IN ('Banking', null)") == InList(
        "Industry", ("Banking", None), negated=False
    )


def test_like_keeps_wildcards_and_escaped_wildcards_apart() -> None:
    assert where(r"Name LIKE 'Ter\%%'") == Like("Name", r"Ter\%%")
    assert where(r"Name LIKE 'a\_b_c'") == Like("Name", r"a\_b_c")
    assert where(r"Name LIKE 'back\\slash%'") == Like("Name", r"back\\slash%")


def test_and_or_not_with_parentheses() -> None:
    condition = where("(Name = 'a' AND NOT Industry = 'Retail') OR (NumberOfEmployees > 5)")
    assert condition == Or((
        And((Comparison("Name", "=", "a"), Not(Comparison("Industry", "=", "Retail")))),
        Comparison("NumberOfEmployees", ">", 5.0),
    ))


def test_a_chain_of_one_operator_needs_no_parentheses() -> None:
    condition = where("Name = 'a' OR Name = 'b' OR Name = 'c'")
    assert condition == Or(tuple(Comparison("Name", "=", v) for v in "abc"))


def test_cursor_boundary_query_of_extraction() -> None:
    query = parse(
        "SELECT Id, SystemModstamp FROM Contact WHERE (SystemModstamp = 2024-01-01T00:00:00.000Z"
        f" AND Id > '{make_id('003', 41)}') OR SystemModstamp > 2024-01-01T00:00:00.000Z"
        " ORDER BY SystemModstamp ASC, Id ASC"
    )
    cursor = pd.Timestamp("2024-01-01T00:00:00", tz="UTC")
    assert query.where == Or((
        And((Comparison("SystemModstamp", "=", cursor), Comparison("Id", ">", make_id("003", 41)))),
        Comparison("SystemModstamp", ">", cursor),
    ))
    assert query.order_by == (("SystemModstamp", True, "first"), ("Id", True, "first"))


def test_order_by_defaults_are_nulls_first_ascending_and_nulls_last_descending() -> None:
    query = parse("SELECT Id FROM Account ORDER BY Name, Industry ASC, NumberOfEmployees DESC")
    assert query.order_by == (
        ("Name", True, "first"), ("Industry", True, "first"), ("NumberOfEmployees", False, "last"),
    )


def test_order_by_nulls_position_can_be_given() -> None:
    query = parse("SELECT Id FROM Account ORDER BY Name ASC NULLS LAST, Industry DESC NULLS FIRST")
    assert query.order_by == (("Name", True, "last"), ("Industry", False, "first"))


def test_limit_and_offset() -> None:
    query = parse("SELECT Id FROM Account ORDER BY Id LIMIT 200 OFFSET 400")
    assert (query.limit, query.offset) == (200, 400)


def test_offset_above_2000_is_outside_the_valid_range() -> None:
    error = refusal("SELECT Id FROM Account OFFSET 2001")
    assert error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert error.message == "Maximum SOQL offset allowed is 2000"


def test_limit_must_be_a_whole_number() -> None:
    error = refusal("SELECT Id FROM Account LIMIT 1.5")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("ERROR at Row:1:Column:30\nunexpected token: '1.5'")


# --- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize(("literal", "text"), [
    (r"'Bob\'s BBQ'", "Bob's BBQ"),
    (r"'back\\slash'", "back\\slash"),
    (r"'two\nlines'", "two\nlines"),
    (r"'two\Nlines'", "two\nlines"),
    (r"'tab\tbed'", "tab\tbed"),
    (r"'cr\rlf'", "cr\rlf"),
    (r"'bell\b'", "bell\b"),
    (r"'feed\f'", "feed\f"),
    (r"'say \"hi\"'", 'say "hi"'),
    (r"'caf\u00e9'", "café"),
    ("'plain % and _'", "plain % and _"),
])
def test_string_literal_escapes(literal: str, text: str) -> None:
    assert where(f"Name = {literal}") == Comparison("Name", "=", text)


def test_unknown_escape_is_an_illegal_character_sequence() -> None:
    error = refusal(r"SELECT Id FROM Account WHERE Name = 'x\d'")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        "\nSELECT Id FROM Account WHERE Name = 'x\\d'\n"
        "                                    ^\n"
        "ERROR at Row:1:Column:37\n"
        "Invalid string literal 'x\\d'. Illegal character sequence '\\d' in string literal."
    )


def test_escaped_wildcard_outside_like_is_illegal() -> None:
    assert refusal(r"SELECT Id FROM Account WHERE Name = '100\%'").error_code == "MALFORMED_QUERY"


def test_empty_string_means_null() -> None:
    assert where("Website = ''") == Comparison("Website", "=", None)


@pytest.mark.parametrize(("literal", "number"), [
    ("42", 42.0), ("-3.5", -3.5), ("+7", 7.0), (".5", 0.5),
])
def test_number_literals(literal: str, number: float) -> None:
    assert where(f"AnnualRevenue > {literal}") == Comparison("AnnualRevenue", ">", number)


def test_boolean_and_null_literals_are_case_insensitive() -> None:
    assert where("IsDeleted = TRUE") == Comparison("IsDeleted", "=", True)
    assert where("IsDeleted = false") == Comparison("IsDeleted", "=", False)
    assert where("Industry = NULL") == Comparison("Industry", "=", None)


def test_date_literal() -> None:
    assert where("CloseDate >= 2024-02-29", "Opportunity") == Comparison(
        "CloseDate", ">=", dt.date(2024, 2, 29)
    )


@pytest.mark.parametrize(("literal", "utc"), [
    ("2024-01-01T00:00:00Z", "2024-01-01 00:00:00"),  # Salesforce's docs, Airbyte start dates
    ("2024-01-01T00:00:00+00:00", "2024-01-01 00:00:00"),  # simple-salesforce format_soql
    ("2024-01-01T00:00:00.000+00:00", "2024-01-01 00:00:00"),  # Airbyte state, milliseconds
    ("2024-01-01T00:00:00.123456Z", "2024-01-01 00:00:00.123456"),  # dlt, microseconds
    ("2024-01-01T00:00:00.000Z", "2024-01-01 00:00:00"),  # Singer
    ("2023-12-31T19:00:00-05:00", "2024-01-01 00:00:00"),  # a negative offset
    ("2024-01-01T05:30:00+05:30", "2024-01-01 00:00:00"),  # a half-hour offset
    ("2024-01-01T00:00:00.000+0000", "2024-01-01 00:00:00"),  # as Salesforce prints it
])
def test_datetime_literals_in_every_form_clients_send_compare_in_utc(
    literal: str, utc: str
) -> None:
    assert where(f"SystemModstamp > {literal}") == Comparison(
        "SystemModstamp", ">", pd.Timestamp(utc, tz="UTC")
    )


def test_a_15_character_id_literal_is_read_as_its_18_character_form() -> None:
    assert where(f"OwnerId = '{ACCOUNT_ID[:15]}'") == Comparison("OwnerId", "=", ACCOUNT_ID)


def test_an_id_literal_that_is_no_id_is_refused() -> None:
    error = refusal("SELECT Id FROM Account WHERE Id = 'abc'")
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message.endswith("ERROR at Row:1:Column:35\ninvalid ID field: abc")


# --- errors ----------------------------------------------------------------------------------


def test_syntax_error_has_salesforces_message_shape() -> None:
    error = refusal("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        "\nSELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'\n"
        "                                                       ^\n"
        "ERROR at Row:1:Column:56\n"
        "unexpected token: 'OR'"
    )


def test_keywords_are_reserved() -> None:
    error = refusal("SELECT Id, FROM Account")
    assert error.message == (
        "\nSELECT Id, FROM Account\n           ^\n"
        "ERROR at Row:1:Column:12\nunexpected token: 'FROM'"
    )


def test_query_cut_short_ends_in_an_unexpected_eof() -> None:
    error = refusal("SELECT Id FROM Account WHERE ")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        "\nSELECT Id FROM Account WHERE \n                            ^\n"
        "ERROR at Row:1:Column:29\nunexpected token: '<EOF>'"
    )


def test_double_quotes_are_not_string_quotes() -> None:
    error = refusal('SELECT Id FROM Account WHERE Name = "Acme"')
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("ERROR at Row:1:Column:37\nunexpected token: '\"'")


def test_datetime_without_a_zone_is_malformed() -> None:
    error = refusal("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("unexpected token: 'T00'")


def test_impossible_datetime_is_malformed() -> None:
    error = refusal("SELECT Id FROM Account WHERE CreatedDate > 2024-13-01T00:00:00Z")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith(
        "ERROR at Row:1:Column:44\ninvalid dateTime: 2024-13-01T00:00:00Z"
    )


def test_error_in_a_multi_line_query_names_its_row_and_shows_that_line() -> None:
    error = refusal("SELECT Id\nFROM Account\nWHERE Nmae = 'x'")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.startswith("\nWHERE Nmae = 'x'\n      ^\nERROR at Row:3:Column:7\n")


def test_empty_query_is_malformed() -> None:
    error = refusal("  ")
    assert (error.error_code, error.message) == (
        "MALFORMED_QUERY", "SOQL statements cannot be empty or null"
    )


def test_unknown_field_is_invalid_field_with_salesforces_wording() -> None:
    error = refusal("SELECT Idd FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert error.message == (
        "\nSELECT Idd FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        "No such column 'Idd' on entity 'Account'. If you are attempting to use a custom field, be "
        "sure to append the '__c' after the custom field name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def test_unknown_field_in_where_and_order_by_is_invalid_field() -> None:
    assert refusal("SELECT Id FROM Account WHERE Foo = 1").error_code == "INVALID_FIELD"
    assert refusal("SELECT Id FROM Account ORDER BY Foo").error_code == "INVALID_FIELD"


def test_unknown_object_is_invalid_type_with_salesforces_wording() -> None:
    error = refusal("SELECT Id FROM Foo")
    assert error.error_code == "INVALID_TYPE"
    assert error.message == (
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be "
        "sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def test_unknown_object_is_reported_before_unknown_fields() -> None:
    assert refusal("SELECT Idd FROM Foo").error_code == "INVALID_TYPE"


def test_relationship_paths_are_not_understood() -> None:
    error = refusal("SELECT Owner.Name FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "ERROR at Row:1:Column:8\nDidn't understand relationship 'Owner' in field path. If you "
        "are attempting to use a custom relationship, be sure to append the '__r' after the custom "
        "relationship name. Please reference your WSDL or the describe call for the appropriate "
        "names."
    )


def test_a_field_selected_twice_is_refused() -> None:
    error = refusal("SELECT Id, Name, id FROM Account")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("ERROR at Row:1:Column:18\nduplicate field selected: Id")


def test_quoted_string_against_a_datetime_field_is_a_type_error() -> None:
    error = refusal("SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'")
    assert error.error_code == "INVALID_FIELD"
    assert error.message == (
        "\nSELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'\n"
        "                                              ^\n"
        "ERROR at Row:1:Column:47\n"
        "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should "
        "not be enclosed in quotes"
    )


def criterion(field: str, sf_type: str, quoted: bool) -> str:
    quoting = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return f"value of filter criterion for field '{field}' must be of type {sf_type} and {quoting}"


@pytest.mark.parametrize(("condition", "detail"), [
    ("Name = 2024-01-01T00:00:00Z", criterion("Name", "string", quoted=True)),
    ("Name = 5", criterion("Name", "string", quoted=True)),
    ("CreatedDate > 2024-01-01", criterion("CreatedDate", "dateTime", quoted=False)),
    ("IsDeleted = 'true'", criterion("IsDeleted", "boolean", quoted=False)),
    ("NumberOfEmployees = '5'", criterion("NumberOfEmployees", "integer", quoted=False)),
    ("AnnualRevenue IN (5, 'x')", criterion("AnnualRevenue", "double", quoted=False)),
    ("OwnerId = true", criterion("OwnerId", "id", quoted=True)),
])
def test_literal_of_the_wrong_type_is_invalid_field(condition: str, detail: str) -> None:
    error = refusal(f"SELECT Id FROM Account WHERE {condition}")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("\n" + detail)


def test_datetime_literal_against_a_date_field_is_a_type_error() -> None:
    error = refusal("SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-01T00:00:00Z")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "value of filter criterion for field 'CloseDate' must be of type date and should not be "
        "enclosed in quotes"
    )


def test_like_on_a_field_that_is_not_text_is_an_invalid_operator() -> None:
    error = refusal("SELECT Id FROM Account WHERE Id LIKE '001%'")
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message.endswith("ERROR at Row:1:Column:30\ninvalid operator on id field")


def test_long_text_cannot_be_sorted() -> None:
    error = refusal("SELECT Id FROM Task ORDER BY Description")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("field 'Description' can not be sorted in a query call")


def test_every_refusal_is_a_bad_request() -> None:
    assert refusal("SELECT").status_code == 400
