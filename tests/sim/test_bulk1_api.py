"""Bulk API 1.0 query jobs over HTTP as Singer's tap-salesforce drives them: job, batch and result,
with and without PK chunking; results equal the REST query."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import requests

from tests.sim.bulk_helpers import csv_rows, rest_rows
from tests.sim.conftest import SalesforceApi

NS = "{http://www.force.com/2009/06/asyncapi/dataload}"
SOQL = "SELECT Id, Email, IsDeleted, SystemModstamp FROM Contact"


class Bulk1:
    def __init__(self, api: SalesforceApi, version: str = "61.0") -> None:
        self.api = api
        self.base = f"{api.sim.base_url}/services/async/{version}/job"
        self.session = requests.Session()
        self.session.headers["X-SFDC-Session"] = api.session.headers["Authorization"].split()[1]

    def create(self, sobject: str, operation: str = "queryAll", pk_chunking: str | None = None) -> str:
        headers = {"Content-Type": "application/xml; charset=UTF-8"}
        if pk_chunking:
            headers["Sforce-Enable-PKChunking"] = pk_chunking
        reply = self.session.post(self.base, headers=headers, data=(
            f'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS[1:-1]}"><operation>{operation}'
            f"</operation><object>{sobject}</object><contentType>CSV</contentType></jobInfo>"))
        assert reply.status_code == 201, reply.text
        return _xml(reply)["id"]

    def add_batch(self, job_id: str, soql: str) -> dict[str, str]:
        reply = self.session.post(f"{self.base}/{job_id}/batch", data=soql,
                                  headers={"Content-Type": "text/csv"})
        assert reply.status_code == 201, reply.text
        return _xml(reply)

    def batches(self, job_id: str) -> list[dict[str, str]]:
        root = ElementTree.fromstring(self.session.get(f"{self.base}/{job_id}/batch").content)
        return [{c.tag.removeprefix(NS): c.text or "" for c in info} for info in root]

    def wait(self, job_id: str) -> list[dict[str, str]]:
        for _ in range(5):
            batches = self.batches(job_id)
            if not any(b["state"] in ("Queued", "InProgress") for b in batches):
                return batches
        raise AssertionError(f"batches still running: {batches}")

    def rows(self, job_id: str, batch_id: str) -> list[dict[str, str]]:
        listing = self.session.get(f"{self.base}/{job_id}/batch/{batch_id}/result")
        result_ids = re.findall(r"<result>(.*?)</result>", listing.text)
        rows = []
        for result_id in result_ids:
            reply = self.session.get(f"{self.base}/{job_id}/batch/{batch_id}/result/{result_id}")
            assert reply.headers["Content-Type"].startswith("text/csv")
            rows += [] if reply.text == "Records not found for this query" else csv_rows(reply.text)
        return rows

    def close(self, job_id: str) -> dict[str, str]:
        return _xml(self.session.post(f"{self.base}/{job_id}", headers={"Content-Type": "application/xml"},
                                      data=f'<jobInfo xmlns="{NS[1:-1]}"><state>Closed</state></jobInfo>'))


def _xml(reply: requests.Response) -> dict[str, str]:
    return {c.tag.removeprefix(NS): c.text or "" for c in ElementTree.fromstring(reply.content)}


def test_job_batch_and_result_equal_the_rest_query_all(api):
    bulk = Bulk1(api)
    job_id = bulk.create("Contact")
    batch = bulk.add_batch(job_id, SOQL)
    assert batch["state"] == "Queued" and batch["jobId"] == job_id
    assert bulk.close(job_id)["state"] == "Closed"
    batches = bulk.wait(job_id)
    assert [b["state"] for b in batches] == ["Completed"]
    rows = bulk.rows(job_id, batch["id"])
    assert rows == rest_rows(api, SOQL, all_rows=True)
    assert any(r["IsDeleted"] == "true" for r in rows)
    info = _xml(bulk.session.get(f"{bulk.base}/{job_id}"))
    assert (info["numberBatchesCompleted"], info["numberRecordsProcessed"]) == ("1", str(len(rows)))


def test_pk_chunking_splits_by_id_and_marks_the_original_not_processed(api):
    bulk = Bulk1(api)
    job_id = bulk.create("Contact", operation="query", pk_chunking="true; chunkSize=40")
    original = bulk.add_batch(job_id, "SELECT Id, Email FROM Contact WHERE Email != null")
    batches = bulk.wait(job_id)
    assert batches[0]["id"] == original["id"] and batches[0]["state"] == "NotProcessed"
    chunks = batches[1:]
    total = len(api.query("SELECT Id FROM Contact", all_rows=True))
    assert len(chunks) == -(-total // 40)
    assert all(b["state"] == "Completed" for b in chunks)
    rows = [row for b in chunks for row in bulk.rows(job_id, b["id"])]
    expected = rest_rows(api, "SELECT Id, Email FROM Contact WHERE Email != null")
    assert sorted(rows, key=lambda r: r["Id"]) == sorted(expected, key=lambda r: r["Id"])


def test_json_job_requests_get_json_answers_as_tap_salesforce_reads_them(api):
    bulk = Bulk1(api)
    reply = bulk.session.post(bulk.base, headers={"Content-Type": "application/json"},
                              json={"operation": "queryAll", "object": "Lead", "contentType": "CSV"})
    assert reply.status_code == 201 and reply.json()["state"] == "Open"
    job_id = reply.json()["id"]
    missing = bulk.session.get(f"{bulk.base}/750000000000000AAA", headers={"Content-Type": "application/json"})
    assert missing.status_code == 400 and missing.json()["exceptionCode"] == "InvalidJob"
    closed = bulk.session.post(f"{bulk.base}/{job_id}", headers={"Content-Type": "application/json"},
                               json={"state": "Closed"})
    assert closed.json()["state"] == "Closed"


def test_bad_soql_and_wrong_object_fail_the_batch_with_a_state_message(api):
    bulk = Bulk1(api)
    job_id = bulk.create("Contact")
    bulk.add_batch(job_id, "SELECT Nope FROM Contact")
    bulk.add_batch(job_id, "SELECT Id FROM Lead")
    failed = bulk.wait(job_id)
    assert [b["state"] for b in failed] == ["Failed", "Failed"]
    assert "INVALID_FIELD" in failed[0]["stateMessage"]
    assert "INVALID_TYPE_FOR_OPERATION" in failed[1]["stateMessage"]


def test_errors_are_bulk_xml(api, sim):
    bulk = Bulk1(api)
    reply = requests.get(f"{bulk.base}/750000000000000AAA", headers={"X-SFDC-Session": "nope"})
    assert reply.status_code == 400
    error = _xml(reply)
    assert error == {"exceptionCode": "InvalidSessionId", "exceptionMessage": "Invalid session id"}
    other = Bulk1(SalesforceApi(sim, "globex"))
    job_id = bulk.create("Contact")
    assert _xml(other.session.get(f"{other.base}/{job_id}"))["exceptionCode"] == "InvalidJob"


def test_an_empty_result_says_records_not_found(api):
    bulk = Bulk1(api)
    job_id = bulk.create("Contact", operation="query")
    batch = bulk.add_batch(job_id, "SELECT Id FROM Contact WHERE Email = 'nobody@nowhere.example'")
    bulk.wait(job_id)
    listing = bulk.session.get(f"{bulk.base}/{job_id}/batch/{batch['id']}/result")
    result_id = re.findall(r"<result>(.*?)</result>", listing.text)[0]
    text = bulk.session.get(f"{bulk.base}/{job_id}/batch/{batch['id']}/result/{result_id}").text
    assert text == "Records not found for this query"


def test_bulk1_requests_count_and_meet_faults(api, control):
    bulk = Bulk1(api)
    before = control.call("GET", "/calls")["apiUsage"]["used"]
    job_id = bulk.create("Contact")
    control.call("PUT", "/faults", {"spec": "503x1"})
    reply = bulk.session.get(f"{bulk.base}/{job_id}")
    assert reply.status_code == 503 and _xml(reply)["exceptionCode"] == "SERVER_UNAVAILABLE"
    assert bulk.session.get(f"{bulk.base}/{job_id}").status_code == 200
    assert control.call("GET", "/calls")["apiUsage"]["used"] - before == 3
    assert api.get("limits").json()["DailyBulkApiBatches"]["Remaining"] == 15000
