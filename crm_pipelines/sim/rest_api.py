"""`/services/data/...`: the REST resources (and Bulk 2.0's), routed by API version, behind the
common pipeline of `api_pipeline` (session 401 INVALID_SESSION_ID, the org's daily limit 403
REQUEST_LIMIT_EXCEEDED, faults). The Versions URI `/services/data/` needs no session and carries no
usage header.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim import api_pipeline, bulk2_api, composite_api, query_api, replication_api, sobject_api
from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.api_pipeline import (
    DROP_CONNECTION,
    LIMIT_INFO_HEADER,
    Resource,
    Routed,
    Surface,
    resource,
    session_and_org,
)
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.schema import HISTORY_OBJECTS, describe
from crm_pipelines.sim.sessions import Session
from crm_pipelines.sim.wire import JSON_CONTENT_TYPE, ApiError, not_found

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

API_VERSION = "60.0"  # the version the simulator's own links default to
OLDEST_VERSION = 31
LATEST_VERSION = 63   # Spring '25
BULK2_SINCE = 47      # Bulk API 2.0 query jobs came with Winter '20
__all__ = ["DROP_CONNECTION", "LIMIT_INFO_HEADER", "data_api", "versions_body"]
_VERSION_PATH = re.compile(r"^/services/data/v(?P<version>\d{2}\.0)(?P<rest>/.*)?$")


# -- small resources --------------------------------------------------------------------------
def version_label(major: int) -> str:
    """Release names by API version: v60.0 is Spring '24, v59.0 Winter '24, v58.0 Summer '23,
    v63.0 Spring '25."""
    steps = 60 - major
    season = ("Spring", "Winter", "Summer")[steps % 3]
    year = 24 - steps // 3 - (1 if steps % 3 == 2 else 0)
    return f"{season} '{year:02d}"


def versions_body() -> list[dict[str, str]]:
    return [{"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST_VERSION, LATEST_VERSION + 1)]


def is_served_version(version: str) -> bool:
    return OLDEST_VERSION <= int(float(version)) <= LATEST_VERSION


def resources(call: ApiCall) -> ApiReply:
    base = call.base_path
    names = ("sobjects", "query", "queryAll", "limits", "composite")
    body = {name: f"{base}/{name}" for name in names}
    if call.version_number >= BULK2_SINCE:
        body["jobs"] = f"{base}/jobs"
    return ApiReply(body=body)


def limits(call: ApiCall) -> ApiReply:
    usage = call.org.api_usage()
    now = call.org.clock.now_ms()
    bulk = call.org.bulk_jobs

    def pair(maximum: int, remaining: int | None = None) -> dict[str, int]:
        return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

    return ApiReply(body={
        "DailyApiRequests": pair(usage["limit"], max(0, usage["limit"] - usage["used"])),
        "DailyAsyncApexExecutions": pair(250_000),
        "DailyBulkApiBatches": pair(15_000, max(0, 15_000 - bulk.v1_batches.count(now))),
        "DailyBulkV2QueryFileStorageMB": pair(976_562),
        "DailyBulkV2QueryJobs": pair(10_000, max(0, 10_000 - bulk.v2_query_jobs.count(now))),
        "DataStorageMB": pair(1_024, 1_000),
        "FileStorageMB": pair(1_024, 1_024),
        "SingleEmail": pair(5_000),
    })


def record_count(call: ApiCall) -> ApiReply:
    """`/limits/recordCount`: how many records each object holds, deleted ones not counted (what a
    client sizes a read by before choosing REST or Bulk). `sObjects` names the objects (comma
    separated); without it, every object of the org; a name the org does not have is left out."""
    wanted = call.params.get("sObjects")
    names = sorted(call.org.tables) if not wanted else [n for n in (w.strip() for w in wanted.split(",")) if n]
    counts = []
    for name in names:
        table = call.org.tables.get(name)
        if table is None:
            continue
        live = table.present()
        frame = table.frame()
        if "IsDeleted" in frame.columns:
            live &= ~frame["IsDeleted"].fillna(False).to_numpy(dtype=bool)
        counts.append({"count": int(live.sum()), "name": name})
    return ApiReply(body={"sObjects": counts})


@functools.lru_cache(maxsize=64)
def _describe_bytes(object_name: str, base_path: str, with_history: bool) -> bytes:
    return orjson.dumps(describe(object_name, base_path, with_history=with_history))


def describe_resource(call: ApiCall) -> ApiReply:
    schema = sobject_api.schema_of(call.path_args[0])
    history = call.org.field_history
    if schema.name in HISTORY_OBJECTS and schema.name not in history.history_objects():
        raise sobject_api.not_supported(call.path_args[0])
    return ApiReply(raw=_describe_bytes(schema.name, call.base_path, schema.name in history.tracked))


# -- routing ------------------------------------------------------------------------------------
_SEG = "([^/]+)"
RESOURCES: tuple[Resource, ...] = (
    resource("resources", "GET", "", resources),
    resource("query", "GET", "/query", query_api.query),
    resource("queryAll", "GET", "/queryAll", query_api.query_all),
    resource("queryMore", "GET", f"/query/{_SEG}", query_api.query_more),
    resource("queryMore", "GET", f"/queryAll/{_SEG}", query_api.query_more),
    resource("limits", "GET", "/limits", limits),
    resource("limits.recordCount", "GET", "/limits/recordCount", record_count, since=40),
    resource("describeGlobal", "GET", "/sobjects", sobject_api.describe_global_resource),
    resource("sobject.info", "GET", f"/sobjects/{_SEG}", sobject_api.sobject_basic_info),
    resource("sobject.create", "POST", f"/sobjects/{_SEG}", sobject_api.create_record),
    resource("describe", "GET", f"/sobjects/{_SEG}/describe", describe_resource),
    resource("updated", "GET", f"/sobjects/{_SEG}/updated", replication_api.updated),
    resource("deleted", "GET", f"/sobjects/{_SEG}/deleted", replication_api.deleted),
    resource("sobject.get", "GET", f"/sobjects/{_SEG}/{_SEG}", sobject_api.get_record),
    resource("sobject.update", "PATCH", f"/sobjects/{_SEG}/{_SEG}", sobject_api.update_record),
    resource("sobject.delete", "DELETE", f"/sobjects/{_SEG}/{_SEG}", sobject_api.delete_record),
    resource("sobject.getByExternalId", "GET", f"/sobjects/{_SEG}/{_SEG}/{_SEG}",
              sobject_api.get_by_external_id),
    resource("sobject.upsert", "PATCH", f"/sobjects/{_SEG}/{_SEG}/{_SEG}", sobject_api.upsert_record),
    resource("composite", "POST", "/composite", lambda call: composite_api.composite(call, resolve)),
    resource("composite.create", "POST", "/composite/sobjects", sobject_api.composite_create),
    resource("composite.update", "PATCH", "/composite/sobjects", sobject_api.composite_update),
    resource("composite.delete", "DELETE", "/composite/sobjects", sobject_api.composite_delete),
    resource("composite.retrieve", "GET", f"/composite/sobjects/{_SEG}",
              sobject_api.composite_retrieve),
    resource("composite.upsert", "PATCH", f"/composite/sobjects/{_SEG}/{_SEG}",
              sobject_api.composite_upsert),
    resource("jobs.query.create", "POST", "/jobs/query", bulk2_api.create_job, since=BULK2_SINCE),
    resource("jobs.query.list", "GET", "/jobs/query", bulk2_api.list_jobs, since=BULK2_SINCE),
    resource("jobs.query.get", "GET", f"/jobs/query/{_SEG}", bulk2_api.job_info, since=BULK2_SINCE),
    resource("jobs.query.abort", "PATCH", f"/jobs/query/{_SEG}", bulk2_api.abort_job,
             since=BULK2_SINCE),
    resource("jobs.query.delete", "DELETE", f"/jobs/query/{_SEG}", bulk2_api.delete_job,
             since=BULK2_SINCE),
    resource("jobs.query.results", "GET", f"/jobs/query/{_SEG}/results", bulk2_api.job_results,
             since=BULK2_SINCE),
)


def resolve(method: str, rest: str, version: float = float(API_VERSION)) -> tuple[Resource, tuple[str, ...]]:
    """The resource for `method` on `rest` (the path after /vXX.X), or a 404/405 ApiError."""
    return api_pipeline.resolve(RESOURCES, method, rest, version)


# -- the endpoint -------------------------------------------------------------------------------
def _json_response(status: int, content: bytes, headers: dict[str, str]) -> Response:
    return Response(content, status_code=status, headers={**headers, "Content-Type": JSON_CONTENT_TYPE})


def _error_reply(error: ApiError, _request: Request) -> ApiReply:
    return ApiReply(status=error.status, body=error.body())


def _authenticate(simulator: Simulator, request: Request) -> tuple[Session, OrgState]:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    found = session_and_org(simulator, token) if scheme.lower() in ("bearer", "oauth") else None
    if found is None:
        raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
    return found


def _route(method: str, path: str) -> Routed:
    match = _VERSION_PATH.match(path)
    if match is None or not is_served_version(match["version"]):
        return Routed(API_VERSION, error=not_found())
    version = match["version"]
    try:
        found, path_args = resolve(method, match["rest"] or "", float(version))
    except ApiError as error:
        return Routed(version, error=error)
    return Routed(version, found, path_args)


SURFACE = Surface(authenticate=_authenticate, route=_route, error_reply=_error_reply)


def versions_response() -> Response:
    return _json_response(200, orjson.dumps(versions_body()), {})


async def data_api(request: Request) -> Response:
    """Every request under /services/data."""
    if request.url.path.rstrip("/") == "/services/data":
        return versions_response()
    return await api_pipeline.serve(request, SURFACE)
