"""`/services/data/...`: authentication, API limits, faults, and routing to the resource handlers.

Order of checks for every call, as Salesforce does it: the session (401, not counted), then the
org's daily limit (403 REQUEST_LIMIT_EXCEEDED, not counted), then the call is counted, then
injected faults, then the resource itself. Every answer after authentication carries
`Sforce-Limit-Info: api-usage=N/M`; the Versions URI `/services/data/` needs no session and
carries no usage header.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime as format_http_date
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim import query_api, replication_api, sobject_api
from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.faults import Fault
from crm_pipelines.sim.ids import stable_number
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.schema import describe
from crm_pipelines.sim.sessions import Session
from crm_pipelines.sim.wire import JSON_CONTENT_TYPE, ApiError, not_found

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

logger = logging.getLogger(__name__)

API_VERSION = "60.0"  # the version the simulator's own links default to
OLDEST_VERSION = 31
LATEST_VERSION = 63   # Spring '25
LIMIT_INFO_HEADER = "Sforce-Limit-Info"
DROP_CONNECTION = "crm_pipelines.sim.drop_connection"
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
    return ApiReply(body={name: f"{base}/{name}" for name in names})


def limits(call: ApiCall) -> ApiReply:
    usage = call.org.api_usage()

    def pair(maximum: int, remaining: int | None = None) -> dict[str, int]:
        return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

    return ApiReply(body={
        "DailyApiRequests": pair(usage["limit"], max(0, usage["limit"] - usage["used"])),
        "DailyAsyncApexExecutions": pair(250_000),
        "DailyBulkApiBatches": pair(15_000),
        "DailyBulkV2QueryFileStorageMB": pair(976_562),
        "DailyBulkV2QueryJobs": pair(10_000),
        "DataStorageMB": pair(1_024, 1_000),
        "FileStorageMB": pair(1_024, 1_024),
        "SingleEmail": pair(5_000),
    })


@functools.lru_cache(maxsize=64)
def _describe_bytes(object_name: str, base_path: str) -> bytes:
    return orjson.dumps(describe(object_name, base_path))


def describe_resource(call: ApiCall) -> ApiReply:
    schema = sobject_api.schema_of(call.path_args[0])
    return ApiReply(raw=_describe_bytes(schema.name, call.base_path))


# -- routing ------------------------------------------------------------------------------------
Handler = Callable[[ApiCall], ApiReply]


@dataclass(frozen=True)
class Resource:
    endpoint: str          # the name call counts are kept under
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _resource(endpoint: str, method: str, pattern: str, handler: Handler) -> Resource:
    return Resource(endpoint, method, re.compile(f"^{pattern}$"), handler)


_SEG = "([^/]+)"
RESOURCES: tuple[Resource, ...] = (
    _resource("resources", "GET", "", resources),
    _resource("query", "GET", "/query", query_api.query),
    _resource("queryAll", "GET", "/queryAll", query_api.query_all),
    _resource("queryMore", "GET", f"/query/{_SEG}", query_api.query_more),
    _resource("queryMore", "GET", f"/queryAll/{_SEG}", query_api.query_more),
    _resource("limits", "GET", "/limits", limits),
    _resource("describeGlobal", "GET", "/sobjects", sobject_api.describe_global_resource),
    _resource("sobject.info", "GET", f"/sobjects/{_SEG}", sobject_api.sobject_basic_info),
    _resource("sobject.create", "POST", f"/sobjects/{_SEG}", sobject_api.create_record),
    _resource("describe", "GET", f"/sobjects/{_SEG}/describe", describe_resource),
    _resource("updated", "GET", f"/sobjects/{_SEG}/updated", replication_api.updated),
    _resource("deleted", "GET", f"/sobjects/{_SEG}/deleted", replication_api.deleted),
    _resource("sobject.get", "GET", f"/sobjects/{_SEG}/{_SEG}", sobject_api.get_record),
    _resource("sobject.update", "PATCH", f"/sobjects/{_SEG}/{_SEG}", sobject_api.update_record),
    _resource("sobject.delete", "DELETE", f"/sobjects/{_SEG}/{_SEG}", sobject_api.delete_record),
    _resource("sobject.getByExternalId", "GET", f"/sobjects/{_SEG}/{_SEG}/{_SEG}",
              sobject_api.get_by_external_id),
    _resource("sobject.upsert", "PATCH", f"/sobjects/{_SEG}/{_SEG}/{_SEG}", sobject_api.upsert_record),
    _resource("composite.create", "POST", "/composite/sobjects", sobject_api.composite_create),
    _resource("composite.update", "PATCH", "/composite/sobjects", sobject_api.composite_update),
    _resource("composite.delete", "DELETE", "/composite/sobjects", sobject_api.composite_delete),
    _resource("composite.retrieve", "GET", f"/composite/sobjects/{_SEG}",
              sobject_api.composite_retrieve),
    _resource("composite.upsert", "PATCH", f"/composite/sobjects/{_SEG}/{_SEG}",
              sobject_api.composite_upsert),
)


def resolve(method: str, rest: str) -> tuple[Resource, tuple[str, ...]]:
    """The resource for `method` on `rest` (the path after /vXX.X), or a 404/405 ApiError."""
    rest = rest.rstrip("/")
    allowed: list[str] = []
    for resource in RESOURCES:
        match = resource.pattern.match(rest)
        if match is None:
            continue
        if resource.method == method:
            return resource, match.groups()
        allowed.append(resource.method)
    if allowed:
        raise ApiError(405, "METHOD_NOT_ALLOWED",
                       f"HTTP Method '{method}' not allowed. Allowed are {','.join(dict.fromkeys(allowed))}")
    raise not_found()


# -- the endpoint -------------------------------------------------------------------------------
def _json_response(status: int, content: bytes | None, headers: dict[str, str]) -> Response:
    if content is None:
        return Response(status_code=status, headers=headers)
    return Response(content, status_code=status, headers={**headers, "Content-Type": JSON_CONTENT_TYPE})


def _error_reply(error: ApiError, headers: dict[str, str] | None = None) -> ApiReply:
    return ApiReply(status=error.status, body=error.body(), headers=headers or {})


def _authenticate(simulator: Simulator, request: Request) -> tuple[Session, OrgState]:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    session = simulator.sessions.find(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
    org = simulator.orgs.get(session.org) if session is not None else None
    if session is None or org is None or not session.is_valid_at(org.clock.now_ms()):
        raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
    return session, org


def _fault_reply(org: OrgState, fault: Fault) -> ApiReply:
    if fault.status == 429:
        return _error_reply(ApiError(429, "TOO_MANY_REQUESTS",
                                     f"Too many requests. Retry after {fault.retry_after} seconds."),
                            {"Retry-After": str(fault.retry_after)})
    if fault.status == 503:
        return _error_reply(ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable."))
    sequence = len(org.requests())
    error_id = stable_number(f"{org.name}:{sequence}") % 10**10
    return _error_reply(ApiError(500, "UNKNOWN_EXCEPTION",
                                 f"An unexpected error occurred. Please include this ErrorId if you "
                                 f"contact support: {error_id}-{sequence} (-{error_id % 10**9})"))


def versions_response() -> Response:
    return _json_response(200, orjson.dumps(versions_body()), {})


async def data_api(request: Request) -> Response:
    """Every request under /services/data."""
    simulator: Simulator = request.app.state.simulator
    path = request.url.path
    if path.rstrip("/") == "/services/data":
        return versions_response()
    try:
        session, org = _authenticate(simulator, request)
    except ApiError as error:
        return _json_response(error.status, orjson.dumps(error.body()), {})
    method = request.method
    match = _VERSION_PATH.match(path)
    resource: Resource | None = None
    path_args: tuple[str, ...] = ()
    route_error: ApiError | None = None
    if match is None or not is_served_version(match["version"]):
        route_error = not_found()
    else:
        try:
            resource, path_args = resolve(method, match["rest"] or "")
        except ApiError as error:
            route_error = error
    endpoint = resource.endpoint if resource is not None else "unknown"

    if not org.usage.try_consume(org.clock.now_ms()):
        return _finish(org, request, endpoint, None, _error_reply(
            ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")))
    fault = org.faults.next_call()
    if fault is not None and fault.delay_seconds:
        await asyncio.sleep(fault.delay_seconds)
    if fault is not None and fault.status is not None:
        return _finish(org, request, endpoint, fault, _fault_reply(org, fault))
    if fault is not None and fault.drop == "before":
        return _finish(org, request, endpoint, fault, ApiReply(status=200))
    if route_error is not None or resource is None:
        return _finish(org, request, endpoint, fault, _error_reply(route_error or not_found()))

    call = ApiCall(org=org, session=session, version=match["version"] if match else API_VERSION,
                   method=method, path_args=path_args, params=request.query_params,
                   headers=request.headers, body=await request.body())
    try:
        with org.lock:
            reply = resource.handler(call)
    except ApiError as error:
        reply = _error_reply(error)
    except Exception:
        logger.exception("org %s: %s %s failed", org.name, method, path)
        reply = _error_reply(ApiError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."))
    return _finish(org, request, endpoint, fault, reply)


def _finish(org: OrgState, request: Request, endpoint: str, fault: Fault | None,
            reply: ApiReply) -> Response:
    # Date in the org's own time, as Salesforce's servers send it: clients learn the CRM's clock.
    headers = {LIMIT_INFO_HEADER: org.usage.header(org.clock.now_ms()),
               "Date": format_http_date(org.clock.now().to_pydatetime(), usegmt=True), **reply.headers}
    content = reply.content()
    status = reply.status
    if fault is not None and fault.truncate and content:
        content = content[: len(content) // 2]
    if fault is not None and fault.drop is not None:
        request.scope[DROP_CONNECTION] = True
        status = 0
    org.record_request(request.method, endpoint, status, fault)
    return _json_response(reply.status, content, headers)
