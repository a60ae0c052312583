"""Bulk API 2.0 query jobs under `/services/data/vXX.X/jobs/query` (API 47.0 and later).

A job takes its rows when it is created (UploadComplete), reads InProgress for one or two status
calls, then JobComplete, or Failed with an errorMessage for a query the Bulk API refuses to run
(COUNT(), OFFSET). A query that does not parse, or names an unknown object or field, is refused at
create with 400 and the REST query's error. Results are CSV pages: `maxRecords` per page, the next
page's `locator` in `Sforce-Locator` ("null" on the last), the page's size in
`Sforce-NumberOfRecords`, gzipped for a client that accepts gzip.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import numpy as np

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.org_clock import ms_to_timestamp
from crm_pipelines.sim.bulk_jobs import JOB_KEY_PREFIX, polled_state
from crm_pipelines.sim.bulk_query import parse_bulk_query, result_csv_fields, select, unsupported_by_bulk
from crm_pipelines.sim.csv_results import DELIMITERS, LINE_ENDINGS, csv_bytes
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.soql import Query, SoqlError
from crm_pipelines.sim.wire import ApiError, format_datetime, not_found

CSV_CONTENT_TYPE = "text/csv"
LOCATOR_HEADER = "Sforce-Locator"
NUMBER_OF_RECORDS_HEADER = "Sforce-NumberOfRecords"
# Salesforce sizes a page by bytes when no maxRecords is given; a fixed count keeps pages stable.
DEFAULT_MAX_RECORDS = 50_000
_OPEN_STATES = ("UploadComplete", "InProgress")
_FINISHED_STATES = ("JobComplete", "Failed", "Aborted")


@dataclass
class QueryJob:
    id: str
    operation: str
    query: Query
    created_by: str
    created_ms: int
    api_version: str
    column_delimiter: str
    line_ending: str
    positions: np.ndarray
    failure: str | None = None
    state: str = "UploadComplete"
    modified_ms: int = 0
    status_calls: int = 0

    def advance(self, now_ms: int) -> None:
        """One status call: the job runs for one or two of them, then finishes."""
        if self.state not in _OPEN_STATES:
            return
        self.status_calls += 1
        before = self.state
        self.state = polled_state(self.id, self.status_calls, self.failure, "JobComplete")
        if self.state != before:
            self.modified_ms = now_ms


def _stamp(ms: int) -> str:
    return format_datetime(ms_to_timestamp(ms)) or ""


def _job_info(job: QueryJob, *, full: bool) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": job.id, "operation": job.operation, "object": job.query.sobject,
        "createdById": job.created_by, "createdDate": _stamp(job.created_ms),
        "systemModstamp": _stamp(job.modified_ms or job.created_ms), "state": job.state,
        "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(job.api_version),
    }
    if full:
        info["jobType"] = "V2Query"
    info["lineEnding"] = job.line_ending
    info["columnDelimiter"] = job.column_delimiter
    if full:
        done = job.state == "JobComplete"
        info.update({
            "numberRecordsProcessed": int(len(job.positions)) if done else 0,
            "retries": 0,
            "totalProcessingTime": 0,
            "isPkChunkingSupported": True,
        })
        if job.state == "Failed":
            info["errorMessage"] = job.failure
    return info


def _job(call: ApiCall) -> QueryJob:
    job = call.org.bulk_jobs.find(call.path_args[0], QueryJob)
    if job is None:
        raise not_found()
    return job


def _choice(body: dict[str, Any], key: str, allowed: dict[str, str], default: str) -> str:
    value = body.get(key, default)
    if value not in allowed:
        raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid {key}: {value}")
    return str(value)


def create_job(call: ApiCall) -> ApiReply:
    body = call.json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "INVALIDJOB", "InvalidJob : A query job needs a query")
    if body.get("contentType", "CSV") != "CSV":
        raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid contentType: {body.get('contentType')}")
    delimiter = _choice(body, "columnDelimiter", DELIMITERS, "COMMA")
    line_ending = _choice(body, "lineEnding", LINE_ENDINGS, "LF")
    try:
        query = parse_bulk_query(text)
    except SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    org = call.org
    failure = unsupported_by_bulk(query)
    positions = (np.zeros(0, dtype=np.int64) if failure else
                 select(org, query, include_deleted=operation == "queryAll").positions)
    now = org.clock.now_ms()
    job = QueryJob(id=org.bulk_jobs.new_id(JOB_KEY_PREFIX), operation=operation, query=query,
                   created_by=call.session.user_id, created_ms=now, api_version=call.version,
                   column_delimiter=delimiter, line_ending=line_ending, positions=positions,
                   failure=failure)
    org.bulk_jobs.add(job.id, job)
    org.bulk_jobs.v2_query_jobs.add(now)
    return ApiReply(body=_job_info(job, full=False))


def job_info(call: ApiCall) -> ApiReply:
    job = _job(call)
    job.advance(call.org.clock.now_ms())
    return ApiReply(body=_job_info(job, full=True))


def list_jobs(call: ApiCall) -> ApiReply:
    jobs = call.org.bulk_jobs.of_kind(QueryJob)
    wanted_type = call.params.get("jobType")
    records = [_job_info(job, full=True) for job in jobs if wanted_type in (None, "V2Query")]
    return ApiReply(body={"done": True, "records": records, "nextRecordsUrl": None})


def abort_job(call: ApiCall) -> ApiReply:
    body = call.json_body()
    job = _job(call)
    if not isinstance(body, dict) or body.get("state") != "Aborted":
        raise ApiError(400, "INVALIDJOBSTATE", "A query job's state can only be set to Aborted")
    if job.state not in _OPEN_STATES:
        raise ApiError(400, "INVALIDJOBSTATE", f"Aborting a job in state {job.state} is not allowed")
    job.state = "Aborted"
    job.modified_ms = call.org.clock.now_ms()
    return ApiReply(body=_job_info(job, full=True))


def delete_job(call: ApiCall) -> ApiReply:
    job = _job(call)
    if job.state not in _FINISHED_STATES + ("UploadComplete",):
        raise ApiError(400, "INVALIDJOBSTATE",
                       f"Deleting a job in state {job.state} is not allowed; abort it first")
    call.org.bulk_jobs.remove(job.id)
    return ApiReply(status=204)


def _encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str, total: int) -> int:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isdigit() or int(text) > total:
        raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator}")
    return int(text)


def _max_records(call: ApiCall) -> int:
    text = call.params.get("maxRecords")
    if text is None:
        return DEFAULT_MAX_RECORDS
    if not text.isdigit() or int(text) < 1:
        raise ApiError(400, "INVALIDPARAMETER", f"maxRecords must be a positive whole number: {text}")
    return int(text)


def job_results(call: ApiCall) -> ApiReply:
    job = _job(call)
    if call.version != job.api_version:
        raise ApiError(409, "API_VERSION_MISMATCH",
                       f"The job was created with API version {job.api_version}; get its results "
                       "with the same version")
    if job.state != "JobComplete":
        raise ApiError(412, "JOB_NOT_COMPLETE",
                       "can only download query results of successfully completed bulk job with "
                       f"status: JOB_COMPLETE. Current status: {job.state}")
    total = len(job.positions)
    locator = call.params.get("locator")
    start = _decode_locator(locator, total) if locator and locator != "null" else 0
    stop = min(total, start + _max_records(call))
    schema = sobject(job.query.sobject)
    content = csv_bytes(schema, call.org.tables[schema.name].frame(), job.positions[start:stop],
                        result_csv_fields(job.query, float(job.api_version)),
                        delimiter=DELIMITERS[job.column_delimiter],
                        line_ending=LINE_ENDINGS[job.line_ending])
    return ApiReply(raw=content, content_type=CSV_CONTENT_TYPE, compressible=True, headers={
        LOCATOR_HEADER: _encode_locator(stop) if stop < total else "null",
        NUMBER_OF_RECORDS_HEADER: str(stop - start),
    })
