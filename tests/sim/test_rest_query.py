"""/query, /queryAll and queryMore: Salesforce's page shapes, locators and batch sizes."""

from __future__ import annotations

import re
import time

import pytest

from crm_pipelines.sim.server import run_simulator
from tests.sim.conftest import SalesforceApi

SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.fixture(scope="module")
def small_api():
    """The small org: enough Accounts (1,000) for several pages of the smallest batch size."""
    with run_simulator(orgs=("acme",), scale="small") as sim:
        yield SalesforceApi(sim)


def test_records_carry_attributes_and_salesforce_value_formats(api):
    reply = api.get("query", params={"q": "SELECT Id, Name, CreatedDate, NumberOfEmployees, IsDeleted "
                                          "FROM Account ORDER BY Id LIMIT 1"})
    body = reply.json()
    assert reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert list(body) == ["totalSize", "done", "records"]
    assert body["totalSize"] == 1 and body["done"] is True
    record = body["records"][0]
    assert list(record) == ["attributes", "Id", "Name", "CreatedDate", "NumberOfEmployees", "IsDeleted"]
    assert record["attributes"] == {"type": "Account",
                                    "url": f"/services/data/v60.0/sobjects/Account/{record['Id']}"}
    assert SF_DATETIME.match(record["CreatedDate"])
    assert record["IsDeleted"] is False
    assert record["NumberOfEmployees"] is None or isinstance(record["NumberOfEmployees"], int)


def test_dates_are_plain_year_month_day(api):
    record = api.query("SELECT CloseDate FROM Opportunity LIMIT 1")[0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["CloseDate"])


def test_count_query_returns_total_size_and_no_records(api, sim):
    body = api.get("query", params={"q": "SELECT COUNT() FROM Contact"}).json()
    contacts = sim.org("acme").rows("Contact")
    assert body == {"totalSize": int((~contacts["IsDeleted"]).sum()), "done": True, "records": []}


def test_all_accounts_read_across_pages_equal_select_count(small_api):
    count = small_api.get("query", params={"q": "SELECT COUNT() FROM Account"}).json()["totalSize"]
    records = small_api.query("SELECT Id FROM Account", batch_size=200)
    assert count > 800
    assert len(records) == count
    assert len({r["Id"] for r in records}) == count


def test_first_page_holds_batch_size_records_and_points_at_the_next(small_api):
    body = small_api.get("query", params={"q": "SELECT Id FROM Account"},
                         headers={"Sforce-Query-Options": "batchSize=300"}).json()
    assert len(body["records"]) == 300
    assert body["done"] is False
    assert re.fullmatch(r"/services/data/v60\.0/query/01g\w{15}-300", body["nextRecordsUrl"])


def test_default_page_is_2000_records(small_api):
    body = small_api.get("query", params={"q": "SELECT Id FROM Contact"}).json()
    assert body["totalSize"] > 2000
    assert len(body["records"]) == 2000
    assert body["nextRecordsUrl"].endswith("-2000")


def test_batch_size_below_200_is_raised_to_200(small_api):
    body = small_api.get("query", params={"q": "SELECT Id FROM Account"},
                         headers={"Sforce-Query-Options": "batchSize=50"}).json()
    assert len(body["records"]) == 200


def test_last_page_is_done_without_next_records_url(small_api):
    first = small_api.get("query", params={"q": "SELECT Id FROM Account ORDER BY Id"},
                          headers={"Sforce-Query-Options": "batchSize=2000"}).json()
    assert first["done"] is True
    assert "nextRecordsUrl" not in first


def test_pages_stay_stable_while_records_change(small_api):
    sim = small_api.sim
    first = small_api.get("query", params={"q": "SELECT Id, Name FROM Account ORDER BY Name"},
                          headers={"Sforce-Query-Options": "batchSize=200"}).json()
    ids_before = [r["Id"] for r in small_api.query("SELECT Id FROM Account ORDER BY Name")]
    sim.org("acme").create("Account", {"Name": "AAAA First By Name"})
    second = small_api.get(first["nextRecordsUrl"]).json()
    assert [r["Id"] for r in second["records"]] == ids_before[200:400]
    assert second["totalSize"] == first["totalSize"]


def test_a_page_shows_records_as_they_are_when_it_is_asked_for(small_api):
    sim = small_api.sim
    first = small_api.get("query", params={"q": "SELECT Id, Title FROM Contact ORDER BY Id"},
                          headers={"Sforce-Query-Options": "batchSize=200"}).json()
    second_page_ids = [r["Id"] for r in small_api.query("SELECT Id FROM Contact ORDER BY Id")[200:202]]
    time.sleep(0.05)  # the server has built the next page ahead by now
    for record_id in second_page_ids:
        sim.org("acme").edit("Contact", record_id, {"Title": "Edited between pages"})
    second = small_api.get(first["nextRecordsUrl"]).json()
    assert [r["Title"] for r in second["records"][:2]] == ["Edited between pages"] * 2


def test_query_all_pages_also_use_query_in_next_records_url(small_api):
    body = small_api.get("queryAll", params={"q": "SELECT Id FROM Contact"},
                         headers={"Sforce-Query-Options": "batchSize=500"}).json()
    assert "/services/data/v60.0/query/" in body["nextRecordsUrl"]


def test_query_all_returns_deleted_records_with_is_deleted_true(api, sim):
    deleted = sim.org("acme").rows("Lead")
    deleted_ids = set(deleted.loc[deleted["IsDeleted"], "Id"])
    assert deleted_ids
    live = api.query("SELECT Id, IsDeleted FROM Lead")
    everything = api.query("SELECT Id, IsDeleted FROM Lead", all_rows=True)
    assert not deleted_ids & {r["Id"] for r in live}
    assert {r["Id"] for r in everything if r["IsDeleted"]} == deleted_ids


def test_where_system_modstamp_after_cursor_returns_exactly_changed_records(api, sim):
    cursor = api.query("SELECT SystemModstamp FROM Contact ORDER BY SystemModstamp DESC LIMIT 1")[0]["SystemModstamp"]
    org = sim.org("acme")
    contacts = org.rows("Contact", include_deleted=False)
    edited, owner_changed = contacts["Id"].iloc[3], contacts["Id"].iloc[7]
    org.edit("Contact", edited, {"Title": "Chief Tester"})
    new_owner = org.active_users()["Id"].iloc[1]
    org.change_owner("Contact", owner_changed, new_owner)
    created = org.create("Contact", {"LastName": "Newcomer"})
    changed = api.query(f"SELECT Id FROM Contact WHERE SystemModstamp > {cursor.replace('+0000', 'Z')}")
    assert {r["Id"] for r in changed} == {edited, owner_changed, created}


def test_unknown_field_is_400_invalid_field_with_salesforce_wording(api):
    reply = api.get("query", params={"q": "SELECT Idd FROM Account"})
    assert reply.status_code == 400
    error = reply.json()[0]
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Idd' on entity 'Account'" in error["message"]


def test_syntax_error_is_400_malformed_query(api):
    reply = api.get("query", params={"q": "SELECT FROM Account"})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_unknown_query_locator_is_400_invalid_query_locator(api):
    reply = api.get("query/01g5g000000000AAAA-2000")
    assert reply.status_code == 400
    assert reply.json() == [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]


def test_query_more_by_locator_alone_works_as_simple_salesforce_builds_it(small_api):
    body = small_api.get("query", params={"q": "SELECT Id FROM Account"},
                         headers={"Sforce-Query-Options": "batchSize=200"}).json()
    locator = body["nextRecordsUrl"].rsplit("/", 1)[1]
    assert len(small_api.get(f"query/{locator}").json()["records"]) == 200
