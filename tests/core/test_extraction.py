"""Converting CRM pages to warehouse rows (E2, E3, E6), with hand-written expectations."""

from datetime import UTC, datetime

import pandas as pd

from crm_pipelines.core.extraction import Cursor, check_against_describe, convert_page, extra_fields_to_read, later
from crm_pipelines.core.crm_objects import BY_NAME

ACCOUNT = BY_NAME["Account"]
USER = BY_NAME["User"]


def account(id_: str, stamp: str, **fields) -> dict:
    base = {
        "attributes": {"type": "Account", "url": f"/services/data/v60.0/sobjects/Account/{id_}"},
        "Id": id_, "IsDeleted": False, "Name": "Acme", "CreatedDate": "2024-01-01T00:00:00.000+0000",
        "LastModifiedDate": stamp, "SystemModstamp": stamp, "OwnerId": "005000000000001AAA",
        "NumberOfEmployees": 10, "AnnualRevenue": 1.5e6,
    }
    return {**base, **fields}


def test_rows_are_typed_and_named_in_snake_case():
    page = convert_page([account("001000000000001AAA", "2024-03-01T10:00:00.000+0000")], ACCOUNT)
    row = page.rows.iloc[0]
    assert row["id"] == "001000000000001AAA"
    assert row["system_modstamp"] == pd.Timestamp("2024-03-01T10:00:00Z")
    assert row["owner_id"] == "005000000000001AAA"
    assert row["number_of_employees"] == 10
    assert row["is_deleted"] is False or row["is_deleted"] == False  # noqa: E712
    assert pd.isna(row["deleted_at"])
    assert page.rejected == []


def test_deleted_records_keep_a_flag_and_the_time_they_were_deleted():
    page = convert_page([account("001000000000002AAA", "2024-03-02T09:00:00.000+0000", IsDeleted=True,
                                 MasterRecordId="001000000000001AAA")], ACCOUNT)
    row = page.rows.iloc[0]
    assert bool(row["is_deleted"]) is True
    assert row["deleted_at"] == pd.Timestamp("2024-03-02T09:00:00Z")
    assert row["master_record_id"] == "001000000000001AAA"


def test_the_cursor_is_the_last_modstamp_then_id():
    page = convert_page(
        [
            account("001000000000003AAA", "2024-03-01T10:00:00.000+0000"),
            account("001000000000009AAA", "2024-03-01T10:00:00.000+0000"),
            account("001000000000005AAA", "2024-03-01T10:00:00.000+0000"),
        ],
        ACCOUNT,
    )
    assert page.cursor == Cursor(datetime(2024, 3, 1, 10, tzinfo=UTC), "001000000000009AAA")


def test_malformed_records_are_set_aside_with_the_reason_and_the_rest_kept():
    records = [
        account("001000000000001AAA", "2024-03-01T10:00:00.000+0000"),
        account("not-an-id", "2024-03-01T10:00:00.000+0000"),
        account("001000000000003AAA", "2024-03-01T10:00:00.000+0000", SystemModstamp="yesterday"),
        account("001000000000004AAA", "2024-03-01T10:00:00.000+0000", NumberOfEmployees="many"),
    ]
    page = convert_page(records, ACCOUNT)
    assert page.rows["id"].tolist() == ["001000000000001AAA"]
    reasons = {r.record_id: r.reason for r in page.rejected}
    assert reasons["not-an-id"] == "Id is missing or not a Salesforce id (Account)"
    assert reasons["001000000000003AAA"] == "SystemModstamp = 'yesterday' is not a valid datetime (Account)"
    assert reasons["001000000000004AAA"] == "NumberOfEmployees = 'many' is not a valid int (Account)"
    assert page.rejected[1].raw["SystemModstamp"] == "yesterday"
    assert "attributes" not in page.rejected[0].raw


def test_users_have_no_is_deleted_field_and_are_never_deleted():
    user = {"Id": "005000000000001AAA", "SystemModstamp": "2024-03-01T10:00:00.000+0000", "Email": "a@b.c", "IsActive": False}
    page = convert_page([user], USER)
    assert page.rows["is_deleted"].tolist() == [False]


def test_mapped_fields_are_kept_by_crm_name():
    page = convert_page([account("001000000000001AAA", "2024-03-01T10:00:00.000+0000", Tier__c="Gold")], ACCOUNT, ["Tier__c"])
    assert page.rows.iloc[0]["mapped_fields"] == {"Tier__c": "Gold"}


def test_extra_fields_are_the_mapped_ones_not_already_read():
    assert extra_fields_to_read(["Name", "Tier__c", "tier__c"], ACCOUNT, ["App_External_Id__c"]) == ["Tier__c", "App_External_Id__c"]


def test_describe_check_keeps_the_orgs_spelling_and_labels_and_reports_missing():
    describe = [{"name": "Tier__c", "label": "Customer Tier", "custom": True}, {"name": "Name", "label": "Account Name", "custom": False}]
    checked = check_against_describe(["tier__c", "Ghost__c"], describe)
    assert checked.present == ["Tier__c"]
    assert checked.missing == ["Ghost__c"]
    assert checked.labels == {"Tier__c": "Customer Tier"}


def test_later_cursor():
    a = Cursor(datetime(2024, 1, 1, tzinfo=UTC), "001B")
    b = Cursor(datetime(2024, 1, 1, tzinfo=UTC), "001C")
    assert later(a, b) == b and later(b, a) == b and later(None, a) == a and later(a, None) == a


def test_a_page_held_as_an_arrow_table_converts_exactly_as_its_records_do():
    """A Bulk page comes as one Arrow table (ArrowRecords): its conversion equals that of the same
    records as dicts, mapped fields, a field the page lacks, a missing value and a reject included."""
    import pyarrow as pa

    from crm_pipelines.core.extraction import ArrowRecords

    records = [
        {k: v for k, v in account("001000000000001AAA", "2024-03-01T10:00:00.000+0000", Region__c="EU").items()
         if k != "attributes"},
        {k: v for k, v in account("001000000000002AAA", "2024-03-02T10:00:00.000+0000", NumberOfEmployees=None,
                                  IsDeleted=True, Region__c=None).items() if k != "attributes"},
    ]
    for rows in (records, [*records, {**records[0], "Id": "not an id"}]):
        table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "AnnualRevenue"} for r in rows])
        as_dicts = convert_page([{k: v for k, v in r.items() if k != "AnnualRevenue"} for r in rows], ACCOUNT,
                                ["Region__c", "Absent__c"])
        as_table = convert_page(ArrowRecords(table), ACCOUNT, ["Region__c", "Absent__c"])
        pd.testing.assert_frame_equal(as_table.rows, as_dicts.rows)
        assert as_table.rejected == as_dicts.rejected and as_table.cursor == as_dicts.cursor
    assert len(as_table.rejected) == 1 and list(ArrowRecords(table)) == table.to_pylist()
