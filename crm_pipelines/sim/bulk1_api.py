"""Bulk API 1.0 query jobs under `/services/async/{version}/`, as Singer's tap-salesforce drives them.

    POST job                            create (jobInfo in XML or JSON; operation query or queryAll)
    GET  job/{id};  POST job/{id}       job info; close (state Closed) or abort (state Aborted)
    POST job/{id}/batch                 add a batch: the SOQL text as the body (text/csv)
    GET  job/{id}/batch[/{batchId}]     batch info list, batch info
    GET  job/{id}/batch/{b}/result      the result list; .../result/{resultId}: the CSV

The session comes in `X-SFDC-Session` (or an OAuth `Authorization` header). Job resources answer
in the request's format (JSON for `Content-Type: application/json`, else XML); batch resources in
XML, as for any CSV job. Errors are `<error><exceptionCode>…` (or its JSON form). A batch reads
Queued when added, InProgress for one or two status calls, then Completed, or Failed with a
stateMessage as Salesforce words it (bad SOQL, another object than the job's, COUNT()/OFFSET).
With `Sforce-Enable-PKChunking` (`true`, `chunkSize=N`), a batch's query is split by record Id
into one batch per chunk of N ids of the object, and the original batch becomes NotProcessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim import api_pipeline
from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.api_pipeline import Resource, Routed, Surface, resource, session_and_org
from crm_pipelines.sim.bulk1_xml import (
    JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    BodyError,
    error_json,
    error_xml,
    info_xml,
    list_xml,
    read_fields,
    result_list_xml,
    wants_json,
)
from crm_pipelines.sim.bulk_jobs import BATCH_KEY_PREFIX, JOB_KEY_PREFIX, RESULT_KEY_PREFIX, polled_state
from crm_pipelines.sim.bulk_query import parse_bulk_query, select, unsupported_by_bulk
from crm_pipelines.sim.org_clock import ms_to_timestamp
from crm_pipelines.sim.csv_results import NO_RECORDS_TEXT, csv_bytes
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.rest_api import is_served_version
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.sessions import Session
from crm_pipelines.sim.soql import Query, SoqlError
from crm_pipelines.sim.wire import ApiError

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

CSV_CONTENT_TYPE = "text/csv; charset=UTF-8"
PK_CHUNKING_HEADER = "Sforce-Enable-PKChunking"
DEFAULT_CHUNK_SIZE = 100_000
MAX_CHUNK_SIZE = 250_000
PK_CHUNKING_OBJECTS = frozenset({"Account", "Campaign", "CampaignMember", "Case", "Contact", "Lead",
                                 "LoginHistory", "Opportunity", "Task", "User"})
_PATH = re.compile(r"^/services/async/(?P<version>\d{2}\.0)(?P<rest>/.*)?$")
# The REST error codes the common pipeline raises, in Bulk 1.0's words.
_EXCEPTION_CODES = {"INVALID_SESSION_ID": "InvalidSessionId", "REQUEST_LIMIT_EXCEEDED": "ExceededQuota",
                    "NOT_FOUND": "InvalidUrl", "METHOD_NOT_ALLOWED": "InvalidUrl",
                    "JSON_PARSER_ERROR": "ClientInputError"}
_UNFINISHED = ("Queued", "InProgress")


@dataclass
class Batch:
    id: str
    job_id: str
    created_ms: int
    positions: np.ndarray
    query: Query | None = None
    state: str = "Queued"
    failure: str | None = None
    modified_ms: int = 0
    status_calls: int = 0
    result_id: str = ""

    def advance(self, now_ms: int) -> None:
        if self.state not in _UNFINISHED:
            return
        self.status_calls += 1
        self.state = polled_state(self.id, self.status_calls, self.failure, "Completed")
        self.modified_ms = now_ms

    def records(self) -> int:
        return int(len(self.positions)) if self.state == "Completed" else 0


@dataclass
class ClassicJob:
    id: str
    operation: str
    sobject: str
    created_by: str
    created_ms: int
    api_version: str
    chunk_size: int | None
    state: str = "Open"
    modified_ms: int = 0
    batches: list[Batch] = field(default_factory=list)


# -- wire forms ----------------------------------------------------------------------------------
def _stamp(ms: int) -> str:
    ts = ms_to_timestamp(ms)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _job_fields(job: ClassicJob) -> dict[str, Any]:
    counts = {state: sum(1 for b in job.batches if b.state == state)
              for state in ("Queued", "InProgress", "Completed", "Failed")}
    return {
        "id": job.id, "operation": job.operation, "object": job.sobject, "createdById": job.created_by,
        "createdDate": _stamp(job.created_ms), "systemModstamp": _stamp(job.modified_ms or job.created_ms),
        "state": job.state, "concurrencyMode": "Parallel", "contentType": "CSV",
        "numberBatchesQueued": counts["Queued"], "numberBatchesInProgress": counts["InProgress"],
        "numberBatchesCompleted": counts["Completed"], "numberBatchesFailed": counts["Failed"],
        "numberBatchesTotal": len(job.batches),
        "numberRecordsProcessed": sum(b.records() for b in job.batches),
        "numberRetries": 0, "apiVersion": float(job.api_version), "numberRecordsFailed": 0,
        "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
    }


def _batch_fields(batch: Batch, state: str | None = None) -> dict[str, Any]:
    return {
        "id": batch.id, "jobId": batch.job_id, "state": state or batch.state,
        "stateMessage": batch.failure if (state or batch.state) == "Failed" else None,
        "createdDate": _stamp(batch.created_ms),
        "systemModstamp": _stamp(batch.modified_ms or batch.created_ms),
        "numberRecordsProcessed": batch.records(), "numberRecordsFailed": 0,
        "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
    }


def _job_reply(call: ApiCall, job: ClassicJob, status: int = 200) -> ApiReply:
    fields = _job_fields(job)
    if wants_json(call.headers.get("content-type")):
        return ApiReply(status=status, body=fields, content_type=JSON_CONTENT_TYPE)
    return ApiReply(status=status, raw=info_xml("jobInfo", fields), content_type=XML_CONTENT_TYPE)


def _xml_reply(content: bytes, status: int = 200) -> ApiReply:
    return ApiReply(status=status, raw=content, content_type=XML_CONTENT_TYPE)


# -- resources -----------------------------------------------------------------------------------
def _chunk_size(header: str | None) -> int | None:
    if header is None:
        return None
    size = DEFAULT_CHUNK_SIZE
    enabled = False
    for part in re.split(r"[;,]", header):
        key, _, value = part.strip().partition("=")
        if key.lower() == "true" and not value:
            enabled = True
        elif key.lower() == "chunksize":
            if not value.strip().isdigit() or not 1 <= int(value) <= MAX_CHUNK_SIZE:
                raise ApiError(400, "InvalidJob", f"Invalid chunkSize: {value} (1 to {MAX_CHUNK_SIZE})")
            size, enabled = int(value), True
        elif key.lower() == "false" and not value:
            return None
    return size if enabled else None


def create_job(call: ApiCall) -> ApiReply:
    try:
        fields = read_fields(call.body, wants_json(call.headers.get("content-type")))
    except BodyError as exc:
        raise ApiError(400, "InvalidJob", str(exc)) from None
    operation = fields.get("operation", "")
    if operation not in ("query", "queryAll"):
        raise ApiError(400, "InvalidJob", f"The simulator serves query jobs only; operation: {operation}")
    if fields.get("contentType", "CSV") != "CSV":
        raise ApiError(400, "InvalidJob",
                       f"The simulator serves CSV query jobs only; contentType: {fields.get('contentType')}")
    try:
        schema = sobject(fields.get("object", ""))
    except KeyError:
        raise ApiError(400, "InvalidJob", f"Unable to find object: {fields.get('object', '')}") from None
    org = call.org
    job = ClassicJob(id=org.bulk_jobs.new_id(JOB_KEY_PREFIX), operation=operation, sobject=schema.name,
                     created_by=call.session.user_id, created_ms=org.clock.now_ms(),
                     api_version=call.version, chunk_size=_chunk_size(call.headers.get(PK_CHUNKING_HEADER)))
    org.bulk_jobs.add(job.id, job)
    return _job_reply(call, job, 201)


def _job(call: ApiCall) -> ClassicJob:
    job = call.org.bulk_jobs.find(call.path_args[0], ClassicJob)
    if job is None:
        raise ApiError(400, "InvalidJob", f"Invalid job id: {call.path_args[0]}")
    return job


def get_job(call: ApiCall) -> ApiReply:
    return _job_reply(call, _job(call))


def update_job(call: ApiCall) -> ApiReply:
    job = _job(call)
    try:
        state = read_fields(call.body, wants_json(call.headers.get("content-type"))).get("state")
    except BodyError as exc:
        raise ApiError(400, "InvalidJob", str(exc)) from None
    if state not in ("Closed", "Aborted"):
        raise ApiError(400, "InvalidJobState", f"Invalid state for a job update: {state}")
    if job.state != "Open":
        raise ApiError(400, "InvalidJobState", f"Job {job.id} is not open: {job.state}")
    now = call.org.clock.now_ms()
    job.state, job.modified_ms = state, now
    if state == "Aborted":
        for batch in job.batches:
            if batch.state in _UNFINISHED:
                batch.state, batch.modified_ms = "NotProcessed", now
    return _job_reply(call, job)


def _failure(org: OrgState, job: ClassicJob, text: str) -> tuple[Query | None, str | None]:
    try:
        query = parse_bulk_query(text)
    except SoqlError as exc:
        return None, f"InvalidBatch : Failed to process query: {exc.error_code}: {exc.message}"
    if query.sobject != job.sobject:
        return None, ("InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root "
                      f"entity of the requested query ({query.sobject}) does not match the entity of "
                      f"the requested Bulk API Job ({job.sobject})")
    refused = unsupported_by_bulk(query)
    if refused:
        return None, f"InvalidBatch : Failed to process query: {refused}"
    if job.chunk_size is not None:
        if job.sobject not in PK_CHUNKING_OBJECTS:
            return None, f"InvalidBatch : Failed to process query: Entity '{job.sobject}' is not supported by PK Chunking"
        if query.order_by or query.limit is not None:
            return None, ("InvalidBatch : Failed to process query: PK chunking works only with queries "
                          "that have no clauses other than WHERE")
    return query, None


def _new_batch(org: OrgState, job: ClassicJob, positions: np.ndarray, query: Query | None,
               failure: str | None = None) -> Batch:
    batch = Batch(id=org.bulk_jobs.new_id(BATCH_KEY_PREFIX), job_id=job.id,
                  created_ms=org.clock.now_ms(), positions=positions, query=query, failure=failure)
    if failure is None:
        batch.result_id = org.bulk_jobs.new_id(RESULT_KEY_PREFIX)
    job.batches.append(batch)
    org.bulk_jobs.v1_batches.add(batch.created_ms)
    return batch


def _id_chunks(org: OrgState, sobject_name: str, chunk_size: int) -> list[tuple[str, str | None]]:
    """[start, end) Id ranges of `chunk_size` ids each over every record of the object, deleted
    ones included (Salesforce counts them when it cuts the chunks)."""
    table = org.tables[sobject_name]
    ids = np.sort(table.frame()["Id"].to_numpy(dtype=object)[table.present()].astype(str))
    starts = list(ids[::chunk_size]) or [""]
    return [(start, starts[i + 1] if i + 1 < len(starts) else None) for i, start in enumerate(starts)]


def add_batch(call: ApiCall) -> ApiReply:
    job = _job(call)
    if job.state != "Open":
        raise ApiError(400, "InvalidJobState", f"Job {job.id} is not open: {job.state}")
    org = call.org
    query, failure = _failure(org, job, call.body.decode("utf-8", "replace"))
    empty = np.zeros(0, dtype=np.int64)
    if query is None:
        return _xml_reply(info_xml("batchInfo", _batch_fields(_new_batch(org, job, empty, None, failure))), 201)
    selected = select(org, query, include_deleted=job.operation == "queryAll").positions
    if job.chunk_size is None:
        return _xml_reply(info_xml("batchInfo", _batch_fields(_new_batch(org, job, selected, query))), 201)
    original = _new_batch(org, job, empty, query)
    original.state, original.result_id = "NotProcessed", ""
    ids = org.tables[query.sobject].frame()["Id"].to_numpy(dtype=object)[selected].astype(str)
    for start, end in _id_chunks(org, query.sobject, job.chunk_size):
        inside = (ids >= start) & (ids < end) if end is not None else ids >= start
        _new_batch(org, job, selected[inside], query)
    # The answer to the add shows the batch as it was taken, before it was split.
    return _xml_reply(info_xml("batchInfo", _batch_fields(original, state="Queued")), 201)


def _batch(call: ApiCall, job: ClassicJob) -> Batch:
    for batch in job.batches:
        if batch.id == call.path_args[1]:
            return batch
    raise ApiError(400, "InvalidBatch", f"Invalid batch id: {call.path_args[1]}")


def list_batches(call: ApiCall) -> ApiReply:
    job = _job(call)
    now = call.org.clock.now_ms()
    for batch in job.batches:
        batch.advance(now)
    return _xml_reply(list_xml("batchInfoList", "batchInfo", (_batch_fields(b) for b in job.batches)))


def get_batch(call: ApiCall) -> ApiReply:
    batch = _batch(call, _job(call))
    batch.advance(call.org.clock.now_ms())
    return _xml_reply(info_xml("batchInfo", _batch_fields(batch)))


def _completed(batch: Batch) -> Batch:
    if batch.state != "Completed":
        raise ApiError(400, "InvalidBatch", f"Batch {batch.id} is not completed: {batch.state}")
    return batch


def result_list(call: ApiCall) -> ApiReply:
    batch = _completed(_batch(call, _job(call)))
    return _xml_reply(result_list_xml([batch.result_id]))


def result(call: ApiCall) -> ApiReply:
    job = _job(call)
    batch = _completed(_batch(call, job))
    if call.path_args[2] != batch.result_id:
        raise ApiError(400, "InvalidBatch", f"Invalid result id: {call.path_args[2]}")
    if batch.query is None or not len(batch.positions):
        return ApiReply(raw=NO_RECORDS_TEXT.encode(), content_type=CSV_CONTENT_TYPE, compressible=True)
    schema = sobject(batch.query.sobject)
    content = csv_bytes(schema, call.org.tables[schema.name].frame(), batch.positions, batch.query.fields)
    return ApiReply(raw=content, content_type=CSV_CONTENT_TYPE, compressible=True)


# -- the surface ----------------------------------------------------------------------------------
_SEG = "([^/]+)"
RESOURCES: tuple[Resource, ...] = (
    resource("bulk1.job.create", "POST", "/job", create_job),
    resource("bulk1.job.get", "GET", f"/job/{_SEG}", get_job),
    resource("bulk1.job.update", "POST", f"/job/{_SEG}", update_job),
    resource("bulk1.batch.create", "POST", f"/job/{_SEG}/batch", add_batch),
    resource("bulk1.batch.list", "GET", f"/job/{_SEG}/batch", list_batches),
    resource("bulk1.batch.get", "GET", f"/job/{_SEG}/batch/{_SEG}", get_batch),
    resource("bulk1.result.list", "GET", f"/job/{_SEG}/batch/{_SEG}/result", result_list),
    resource("bulk1.result", "GET", f"/job/{_SEG}/batch/{_SEG}/result/{_SEG}", result),
)


def _authenticate(simulator: Simulator, request: Request) -> tuple[Session, OrgState]:
    token = request.headers.get("x-sfdc-session")
    if token is None:
        scheme, _, bearer = (request.headers.get("authorization") or "").partition(" ")
        token = bearer if scheme.lower() in ("bearer", "oauth") else None
    found = session_and_org(simulator, token)
    if found is None:
        raise ApiError(400, "InvalidSessionId", "Invalid session id")
    return found


def _route(method: str, path: str) -> Routed:
    match = _PATH.match(path)
    if match is None or not is_served_version(match["version"]):
        return Routed("0.0", error=ApiError(404, "InvalidUrl", f"Invalid URL: {path}"))
    try:
        found, path_args = api_pipeline.resolve(RESOURCES, method, match["rest"] or "",
                                                float(match["version"]))
    except ApiError as error:
        return Routed(match["version"], error=error)
    return Routed(match["version"], found, path_args)


def _error_reply(error: ApiError, request: Request) -> ApiReply:
    code = _EXCEPTION_CODES.get(error.error_code, error.error_code)
    if wants_json(request.headers.get("content-type")):
        return ApiReply(status=error.status, raw=error_json(code, error.message),
                        content_type=JSON_CONTENT_TYPE)
    return ApiReply(status=error.status, raw=error_xml(code, error.message), content_type=XML_CONTENT_TYPE)


SURFACE = Surface(authenticate=_authenticate, route=_route, error_reply=_error_reply)


async def async_api(request: Request) -> Response:
    """Every request under /services/async."""
    return await api_pipeline.serve(request, SURFACE)
