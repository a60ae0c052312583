"""The path every authenticated API request takes, whichever API it belongs to (REST, Bulk 2.0 under
/services/data, Bulk 1.0 under /services/async): session, the org's daily limit, the call counted,
injected faults, the resource, and the answer's common headers.

Order of checks, as Salesforce does it: the session (not counted), then the org's daily limit
(refused, not counted), then the call is counted, then injected faults, then the resource itself.
Every answer after authentication carries `Sforce-Limit-Info: api-usage=N/M` and a `Date` in the
org's time. What differs between the APIs (where the session is read, how errors are written) is
the `Surface` each passes in.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime as format_http_date
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.faults import Fault
from crm_pipelines.sim.ids import stable_number
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.sessions import Session
from crm_pipelines.sim.wire import ApiError, not_found

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

logger = logging.getLogger(__name__)

LIMIT_INFO_HEADER = "Sforce-Limit-Info"
DROP_CONNECTION = "crm_pipelines.sim.drop_connection"
CUT_CONNECTION = "crm_pipelines.sim.cut_connection"
# Compressing tiny answers costs more than it saves; Salesforce, too, leaves small ones alone.
_GZIP_MIN_BYTES = 256
# gzip's default level 9 compresses a 50,000-record Bulk results page (15 MB of CSV) at about a
# second of CPU, several times what producing the CSV costs; level 1 is ~9x faster for ~30% more
# bytes, which a client on the same machine or network never notices.
_GZIP_LEVEL = 1

Handler = Callable[[ApiCall], ApiReply]


@dataclass(frozen=True)
class Resource:
    endpoint: str          # the name call counts are kept under
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    since: int = 0         # the first API version that has it


def resource(endpoint: str, method: str, pattern: str, handler: Handler, since: int = 0) -> Resource:
    return Resource(endpoint, method, re.compile(f"^{pattern}$"), handler, since)


def resolve(resources: tuple[Resource, ...], method: str, rest: str,
            version: float) -> tuple[Resource, tuple[str, ...]]:
    """The resource for `method` on `rest` (the path after the version), or a 404/405 ApiError."""
    rest = rest.rstrip("/")
    allowed: list[str] = []
    for candidate in resources:
        if candidate.since > version:
            continue
        match = candidate.pattern.match(rest)
        if match is None:
            continue
        if candidate.method == method:
            return candidate, match.groups()
        allowed.append(candidate.method)
    if allowed:
        raise ApiError(405, "METHOD_NOT_ALLOWED",
                       f"HTTP Method '{method}' not allowed. Allowed are {','.join(dict.fromkeys(allowed))}")
    raise not_found()


@dataclass(frozen=True)
class Routed:
    """Where a request's path leads: a resource and its arguments, or the error to answer."""

    version: str
    resource: Resource | None = None
    path_args: tuple[str, ...] = ()
    error: ApiError | None = None


@dataclass(frozen=True)
class Surface:
    authenticate: Callable[[Simulator, Request], tuple[Session, OrgState]]  # raises ApiError
    route: Callable[[str, str], Routed]                                    # method, path
    error_reply: Callable[[ApiError, Request], ApiReply]


def session_and_org(simulator: Simulator, token: str | None) -> tuple[Session, OrgState] | None:
    session = simulator.sessions.find(token.strip()) if token else None
    org = simulator.orgs.get(session.org) if session is not None else None
    if session is None or org is None or not session.is_valid_at(org.clock.now_ms()):
        return None
    return session, org


def reply_response(reply: ApiReply, headers: dict[str, str] | None = None) -> Response:
    content = reply.content()
    merged = {**(headers or {}), **reply.headers}
    if content is None:
        return Response(status_code=reply.status, headers=merged)
    return Response(content, status_code=reply.status, headers={**merged, "Content-Type": reply.content_type})


def _fault_reply(org: OrgState, fault: Fault) -> tuple[ApiError, dict[str, str]]:
    if fault.status == 429:
        return (ApiError(429, "TOO_MANY_REQUESTS",
                         f"Too many requests. Retry after {fault.retry_after} seconds."),
                {"Retry-After": str(fault.retry_after)})
    if fault.status == 503:
        return ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable."), {}
    sequence = len(org.requests())
    error_id = stable_number(f"{org.name}:{sequence}") % 10**10
    return (ApiError(500, "UNKNOWN_EXCEPTION",
                     f"An unexpected error occurred. Please include this ErrorId if you "
                     f"contact support: {error_id}-{sequence} (-{error_id % 10**9})"), {})


def _with_headers(reply: ApiReply, headers: dict[str, str]) -> ApiReply:
    reply.headers.update(headers)
    return reply


async def serve(request: Request, surface: Surface) -> Response:
    simulator: Simulator = request.app.state.simulator
    try:
        session, org = surface.authenticate(simulator, request)
    except ApiError as error:
        return reply_response(surface.error_reply(error, request))
    method = request.method
    routed = surface.route(method, request.url.path)
    endpoint = routed.resource.endpoint if routed.resource is not None else "unknown"

    if not org.usage.try_consume(org.clock.now_ms()):
        return _finish(org, request, endpoint, None, surface.error_reply(
            ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), request))
    fault = org.faults.next_call()
    if fault is not None and fault.delay_seconds:
        await asyncio.sleep(fault.delay_seconds)
    if fault is not None and fault.status is not None:
        error, headers = _fault_reply(org, fault)
        return _finish(org, request, endpoint, fault,
                       _with_headers(surface.error_reply(error, request), headers))
    if fault is not None and fault.drop == "before":
        return _finish(org, request, endpoint, fault, ApiReply(status=200))
    if routed.error is not None or routed.resource is None:
        return _finish(org, request, endpoint, fault,
                       surface.error_reply(routed.error or not_found(), request))

    call = ApiCall(org=org, session=session, version=routed.version, method=method,
                   path_args=routed.path_args, params=request.query_params, headers=request.headers,
                   body=await request.body())
    try:
        with org.lock:
            reply = routed.resource.handler(call)
    except ApiError as error:
        reply = surface.error_reply(error, request)
    except Exception:
        logger.exception("org %s: %s %s failed", org.name, method, request.url.path)
        reply = surface.error_reply(ApiError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."),
                                    request)
    return _finish(org, request, endpoint, fault, reply)


def _accepts_gzip(request: Request) -> bool:
    accepted = (request.headers.get("accept-encoding") or "").lower()
    return any(part.split(";")[0].strip() == "gzip" for part in accepted.split(","))


def _finish(org: OrgState, request: Request, endpoint: str, fault: Fault | None,
            reply: ApiReply) -> Response:
    # Date in the org's own time, as Salesforce's servers send it: clients learn the CRM's clock.
    headers = {LIMIT_INFO_HEADER: org.usage.header(org.clock.now_ms()),
               "Date": format_http_date(org.clock.now().to_pydatetime(), usegmt=True), **reply.headers}
    content = reply.content()
    if reply.compressible and content and len(content) >= _GZIP_MIN_BYTES and _accepts_gzip(request):
        # mtime=0: the same records give the same bytes on the wire.
        content = gzip.compress(content, compresslevel=_GZIP_LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
    status = reply.status
    if fault is not None and fault.truncate and content:
        content = content[: len(content) // 2]
    if fault is not None and fault.cut and content:
        request.scope[CUT_CONNECTION] = True
    if fault is not None and fault.drop is not None:
        request.scope[DROP_CONNECTION] = True
        status = 0
    org.record_request(request.method, endpoint, status, fault)
    return reply_response(ApiReply(status=reply.status, raw=content, content_type=reply.content_type),
                          headers)
