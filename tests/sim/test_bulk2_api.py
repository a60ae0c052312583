"""Bulk API 2.0 query jobs over HTTP: the life cycle, results paged by locator and maxRecords equal
to the REST query, gzip, abort and delete, faults, per-org isolation and call counting."""

from __future__ import annotations

import gzip

import pytest
import requests

from tests.sim.bulk_helpers import csv_rows, rest_rows
from tests.sim.conftest import SalesforceApi

JOBS = "/services/data/v63.0/jobs/query"
SOQL = "SELECT Id, Email, LastName, IsDeleted, SystemModstamp, HasOptedOutOfEmail, Lead_Score__c FROM Contact"


def _create(api: SalesforceApi, soql: str = SOQL, operation: str = "query", version: str = "63.0",
            **options) -> requests.Response:
    return api.post(f"/services/data/v{version}/jobs/query",
                    json={"operation": operation, "query": soql, **options})


def _complete(api: SalesforceApi, job_id: str, version: str = "63.0") -> list[str]:
    states = []
    for _ in range(5):
        states.append(api.get(f"/services/data/v{version}/jobs/query/{job_id}").json()["state"])
        if states[-1] in ("JobComplete", "Failed", "Aborted"):
            break
    return states


def _all_pages(api: SalesforceApi, job_id: str, max_records: int | None = None,
               version: str = "63.0") -> tuple[list[dict[str, str]], list[requests.Response]]:
    rows: list[dict[str, str]] = []
    replies = []
    locator = None
    while locator != "null":
        params = {k: v for k, v in (("locator", locator), ("maxRecords", max_records)) if v is not None}
        reply = api.get(f"/services/data/v{version}/jobs/query/{job_id}/results", params=params)
        assert reply.status_code == 200, reply.text
        replies.append(reply)
        page = csv_rows(reply.text)
        assert int(reply.headers["Sforce-NumberOfRecords"]) == len(page)
        rows += page
        locator = reply.headers["Sforce-Locator"]
    return rows, replies


def test_create_answers_job_info_as_salesforce_does(api, sim):
    reply = _create(api)
    assert reply.status_code == 200
    body = reply.json()
    assert list(body) == ["id", "operation", "object", "createdById", "createdDate", "systemModstamp",
                          "state", "concurrencyMode", "contentType", "apiVersion", "lineEnding",
                          "columnDelimiter"]
    assert body["id"].startswith("750") and len(body["id"]) == 18
    assert (body["operation"], body["object"], body["state"]) == ("query", "Contact", "UploadComplete")
    assert (body["contentType"], body["apiVersion"], body["lineEnding"], body["columnDelimiter"]) == \
        ("CSV", 63.0, "LF", "COMMA")
    assert body["createdById"] == sim.org("acme").integration_user_id()
    assert body["createdDate"].endswith("+0000")


def test_job_runs_in_progress_for_a_call_or_two_then_completes(api):
    job_id = _create(api).json()["id"]
    states = _complete(api, job_id)
    assert states[0] == "InProgress" and states[-1] == "JobComplete"
    assert 2 <= len(states) <= 3
    info = api.get(f"{JOBS}/{job_id}").json()
    assert info["jobType"] == "V2Query"
    assert info["numberRecordsProcessed"] == len(rest_rows(api, SOQL))
    # The same job polls the same way every time: deterministic by its id.
    again = _create(api).json()["id"]
    assert again != job_id


def test_results_equal_the_rest_query_in_one_page_and_paged_by_max_records(api):
    expected = rest_rows(api, SOQL)
    job_id = _create(api).json()["id"]
    _complete(api, job_id)
    whole, replies = _all_pages(api, job_id)
    assert len(replies) == 1 and whole == expected
    assert list(whole[0]) == ["Id", "Email", "LastName", "IsDeleted", "SystemModstamp", "HasOptedOutOfEmail", "Lead_Score__c"]
    paged, replies = _all_pages(api, job_id, max_records=7)
    assert paged == expected
    assert len(replies) == -(-len(expected) // 7)
    assert replies[-1].headers["Sforce-Locator"] == "null"
    # A locator can be read again, and gives the same page.
    second = replies[0].headers["Sforce-Locator"]
    first_read = api.get(f"{JOBS}/{job_id}/results", params={"locator": second, "maxRecords": 7}).text
    assert first_read == replies[1].text


def test_csv_quotes_every_value_and_writes_bulk_formats(api, sim):
    org = sim.org("acme")
    record_id = org.create("Contact", {"LastName": 'O"Neil, "Jr"', "Email": None})
    job_id = _create(api, f"SELECT Id, LastName, Email, IsDeleted, CreatedDate FROM Contact "
                          f"WHERE Id = '{record_id}'").json()["id"]
    _complete(api, job_id)
    text = api.get(f"{JOBS}/{job_id}/results").text
    header, line, end = text.split("\n")
    assert header == '"Id","LastName","Email","IsDeleted","CreatedDate"'
    assert line.startswith(f'"{record_id}","O""Neil, ""Jr""","","false","')
    assert line.endswith('Z"') and end == ""


def test_query_all_includes_deleted_records(api, sim):
    soql = "SELECT Id, IsDeleted FROM Lead"
    job_id = _create(api, soql, "queryAll").json()["id"]
    _complete(api, job_id)
    rows, _ = _all_pages(api, job_id)
    assert rows == rest_rows(api, soql, all_rows=True)
    assert any(r["IsDeleted"] == "true" for r in rows)
    live_job = _create(api, soql).json()["id"]
    _complete(api, live_job)
    assert all(r["IsDeleted"] == "false" for r in _all_pages(api, live_job)[0])


def test_results_are_gzipped_when_the_client_accepts_gzip(api):
    job_id = _create(api).json()["id"]
    _complete(api, job_id)
    url = api.url(f"{JOBS}/{job_id}/results")
    raw = api.session.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(raw.raw.read(decode_content=False)).decode()
    plain = api.session.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert body == plain.text


def test_results_before_completion_are_refused(api):
    job_id = _create(api).json()["id"]
    reply = api.get(f"{JOBS}/{job_id}/results")
    assert reply.status_code == 412
    assert reply.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"


def test_abort_and_delete(api):
    job_id = _create(api).json()["id"]
    aborted = api.patch(f"{JOBS}/{job_id}", json={"state": "Aborted"})
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    assert api.get(f"{JOBS}/{job_id}").json()["state"] == "Aborted"
    assert api.patch(f"{JOBS}/{job_id}", json={"state": "Aborted"}).status_code == 400
    listed = api.get(JOBS).json()
    assert listed["done"] is True and job_id in {j["id"] for j in listed["records"]}
    assert api.delete(f"{JOBS}/{job_id}").status_code == 204
    gone = api.get(f"{JOBS}/{job_id}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "NOT_FOUND"
    assert job_id not in {j["id"] for j in api.get(JOBS).json()["records"]}


def test_a_query_that_does_not_parse_is_refused_at_create_as_rest_refuses_it(api):
    reply = _create(api, "SELECT Nope FROM Contact")
    rest = api.get("query", params={"q": "SELECT Nope FROM Contact"})
    assert reply.status_code == 400 and reply.json() == rest.json()


def test_a_query_bulk_cannot_run_fails_with_an_error_message(api):
    job_id = _create(api, "SELECT COUNT() FROM Contact").json()["id"]
    assert _complete(api, job_id)[-1] == "Failed"
    info = api.get(f"{JOBS}/{job_id}").json()
    assert "COUNT()" in info["errorMessage"]


def test_another_orgs_token_never_sees_the_job(api, sim):
    job_id = _create(api).json()["id"]
    other = SalesforceApi(sim, "globex")
    for reply in (other.get(f"{JOBS}/{job_id}"), other.get(f"{JOBS}/{job_id}/results"),
                  other.delete(f"{JOBS}/{job_id}")):
        assert reply.status_code == 404
        assert reply.json()[0]["errorCode"] == "NOT_FOUND"
    assert job_id not in {j["id"] for j in other.get(JOBS).json()["records"]}


def test_every_request_counts_as_one_call_and_jobs_count_in_limits(api, sim, control):
    before = control.call("GET", "/calls")["apiUsage"]["used"]
    job_id = _create(api).json()["id"]
    polls = len(_complete(api, job_id))
    _, pages = _all_pages(api, job_id, max_records=50)
    after = control.call("GET", "/calls")
    assert after["apiUsage"]["used"] - before == 1 + polls + len(pages)
    assert after["byEndpoint"]["jobs.query.results"] == len(pages)
    limits = api.get("limits").json()
    assert limits["DailyBulkV2QueryJobs"] == {"Max": 10000, "Remaining": 9999}


@pytest.mark.parametrize("spec, status", [("429x1", 429), ("500x1", 500), ("503x1", 503)])
def test_faults_apply_to_bulk_endpoints(api, control, spec, status):
    job_id = _create(api).json()["id"]
    _complete(api, job_id)
    control.call("PUT", "/faults", {"spec": spec})
    assert api.get(f"{JOBS}/{job_id}/results").status_code == status
    assert api.get(f"{JOBS}/{job_id}/results").status_code == 200


def test_truncate_and_drop_apply_to_results(api, control):
    job_id = _create(api).json()["id"]
    _complete(api, job_id)
    whole = api.get(f"{JOBS}/{job_id}/results", headers={"Accept-Encoding": "identity"}).content
    control.call("PUT", "/faults", {"spec": "truncatex1"})
    cut = api.get(f"{JOBS}/{job_id}/results", headers={"Accept-Encoding": "identity"}).content
    assert cut == whole[: len(whole) // 2]
    control.call("PUT", "/faults", {"spec": "dropx1"})
    with pytest.raises(requests.ConnectionError):
        api.get(f"{JOBS}/{job_id}/results")


def test_cut_loses_the_connection_halfway_through_the_results(api, control):
    job_id = _create(api).json()["id"]
    _complete(api, job_id)
    whole = api.get(f"{JOBS}/{job_id}/results", headers={"Accept-Encoding": "identity"}).content
    control.call("PUT", "/faults", {"spec": "cutx1"})
    reply = api.get(f"{JOBS}/{job_id}/results", headers={"Accept-Encoding": "identity"}, stream=True)
    assert (reply.status_code, int(reply.headers["Content-Length"])) == (200, len(whole))
    received = b""
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for chunk in reply.iter_content(chunk_size=1024):
            received += chunk
    # What came is the body's first half or less (a read cut inside a chunk gets none of it).
    assert whole.startswith(received) and len(whole) // 4 < len(received) <= len(whole) // 2
    assert api.get(f"{JOBS}/{job_id}/results", headers={"Accept-Encoding": "identity"}).content == whole


def test_bulk_jobs_need_api_47(api):
    assert _create(api, version="46.0").status_code == 404
    assert _create(api, version="47.0").status_code == 200


def test_columns_in_select_order_from_50_and_by_name_before(api):
    for version, header in (("49.0", '"Email","Id"'), ("50.0", '"Id","Email"')):
        job_id = _create(api, "SELECT Id, Email FROM Contact", version=version).json()["id"]
        _complete(api, job_id, version)
        text = api.get(f"/services/data/v{version}/jobs/query/{job_id}/results").text
        assert text.split("\n")[0] == header


def test_results_with_another_version_than_the_jobs_are_a_conflict(api):
    job_id = _create(api, version="60.0").json()["id"]
    _complete(api, job_id, "60.0")
    assert api.get(f"/services/data/v61.0/jobs/query/{job_id}/results").status_code == 409


