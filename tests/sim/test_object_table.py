"""Buffered writes to an object's table read back the same before and after they are merged."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.sim.ids import make_id
from crm_pipelines.sim.object_table import ObjectTable
from crm_pipelines.sim.schema import sobject

STAMP = pd.Timestamp("2026-06-01T12:00:00.000Z")


def _contact(number: int, **values) -> dict:
    record = {f.name: None for f in sobject("Contact").fields}
    record.update({"Id": make_id("003", number), "IsDeleted": False, "HasOptedOutOfEmail": False,
                   "LastName": f"Person {number}", "CreatedDate": STAMP, "LastModifiedDate": STAMP,
                   "SystemModstamp": STAMP, **values})
    return record


def _table_with(*records: dict) -> ObjectTable:
    table = ObjectTable(sobject("Contact"))
    for record in records:
        table.insert(record)
    return table


def test_inserted_rows_are_found_by_id_before_and_after_merging():
    table = _table_with(_contact(1), _contact(2))
    assert table.position_of(make_id("003", 2)) == 1
    frame = table.frame()
    assert list(frame["LastName"]) == ["Person 1", "Person 2"]
    assert table.position_of(make_id("003", 2)) == 1


def test_fifteen_character_ids_find_their_record():
    table = _table_with(_contact(1))
    assert table.position_of(make_id("003", 1)[:15]) == 0


def test_edits_read_back_before_merging_and_land_in_the_frame():
    table = _table_with(_contact(1), _contact(2))
    table.frame()
    table.update(1, {"Email": "b@example.com", "Lead_Score__c": 7.0})
    assert table.value(1, "Email") == "b@example.com"
    assert table.row(1)["Lead_Score__c"] == 7.0
    frame = table.frame()
    assert frame["Email"].tolist()[1] == "b@example.com"
    assert frame["Lead_Score__c"].tolist()[1] == 7.0
    assert pd.isna(frame["Email"].tolist()[0])


def test_frame_keeps_the_column_dtypes():
    table = _table_with(_contact(1))
    dtypes = table.frame().dtypes
    table.update(0, {"SystemModstamp": STAMP + pd.Timedelta(milliseconds=5), "HasOptedOutOfEmail": True})
    table.insert(_contact(2))
    assert table.frame().dtypes.equals(dtypes)
    assert table.frame()["SystemModstamp"].iloc[0] == STAMP + pd.Timedelta(milliseconds=5)


def test_unique_lookup_ignores_case_and_follows_edits():
    table = _table_with(_contact(1, App_External_Id__c="Ext-1"), _contact(2))
    assert table.find_unique("App_External_Id__c", "EXT-1") == [0]
    table.update(0, {"App_External_Id__c": "ext-9"})
    table.update(1, {"App_External_Id__c": "ext-1"})
    assert table.find_unique("App_External_Id__c", "ext-1") == [1]
    assert table.find_unique("App_External_Id__c", "EXT-9") == [0]
