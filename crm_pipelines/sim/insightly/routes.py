"""`/v3.1/...`: the Insightly API of the orgs declared `insightly`, and the path every call takes.

Order of checks: the API key (HTTP Basic, the key as user name and an empty password; a wrong or
missing key is 401 and not counted), the per-second rate, then the org's daily allowance (past
either, 429, not counted), then the call is counted, then the org's injected faults, then the
resource. Every answer after the key carries `X-RateLimit-Limit` and `X-RateLimit-Remaining` (the
daily allowance and what is left of it) and a `Date` in the org's time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import logging
import re
from collections.abc import Callable
from email.utils import format_datetime as format_http_date
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim.api_call import ApiReply
from crm_pipelines.sim.api_pipeline import DROP_CONNECTION, reply_response
from crm_pipelines.sim.faults import Fault
from crm_pipelines.sim.insightly import resources
from crm_pipelines.sim.insightly.resources import Call
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.wire import ApiError

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

logger = logging.getLogger(__name__)

DIALECT = "insightly"
VERSION = "v3.1"
LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"
_JSON = "application/json; charset=utf-8"
_GZIP_MIN_BYTES = 256

Handler = Callable[[Call], ApiReply]
_OBJECT = r"(Users|Organisations|Contacts|Leads|Opportunities|Tasks)"
_ROUTES: tuple[tuple[str, re.Pattern[str], Handler], ...] = tuple(
    (method, re.compile(f"^{pattern}$", re.IGNORECASE), handler) for method, pattern, handler in (
        ("GET", r"Pipelines", resources.pipelines),
        ("GET", r"PipelineStages", resources.pipeline_stages),
        ("GET", r"LeadStatuses", resources.lead_statuses),
        ("GET", r"LeadSources", resources.lead_sources),
        ("GET", r"CustomFields", resources.custom_fields),
        ("GET", r"CustomFields/(\w+)", resources.custom_fields),
        ("GET", _OBJECT, resources.list_records),
        ("GET", _OBJECT + r"/Search", resources.search_records),
        ("GET", _OBJECT + r"/(\d+)", resources.get_record),
        ("POST", _OBJECT, resources.create_record),
        ("PUT", _OBJECT, resources.update_record),
        ("DELETE", _OBJECT + r"/(\d+)", resources.delete_record),
    ))


def api_key(request: Request) -> str | None:
    scheme, _, encoded = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        user, _, _password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user


def _org_for_key(simulator: Simulator, key: str | None) -> OrgState | None:
    """The org whose API key this is: an Insightly org's key is its name."""
    org = simulator.orgs.get(key) if key else None
    return org if org is not None and org.dialect == DIALECT else None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> ApiReply:
    return ApiReply(status=status, body={"Message": message}, headers=dict(headers or {}),
                    content_type=_JSON)


def _route(method: str, rest: str) -> tuple[Handler, tuple[str, ...], str] | ApiReply:
    allowed = []
    for candidate_method, pattern, handler in _ROUTES:
        match = pattern.match(rest)
        if match is None:
            continue
        if candidate_method == method:
            parts = tuple(p for p in rest.split("/") if p)
            endpoint = f"insightly.{handler.__name__}"
            return handler, parts, endpoint
        allowed.append(candidate_method)
    if allowed:
        return _error(405, f"The requested resource does not support http method '{method}'.",
                      {"Allow": ", ".join(dict.fromkeys(allowed))})
    return _error(404, f"No HTTP resource was found that matches the request URI '/{VERSION}/{rest}'.")


def _fault_reply(fault: Fault) -> ApiReply:
    if fault.status == 429:
        return _error(429, "API rate limit exceeded.", {"Retry-After": str(fault.retry_after)})
    if fault.status == 503:
        return _error(503, "The service is temporarily unavailable.")
    return _error(500, "An error has occurred.")


async def insightly_api(request: Request) -> Response:
    simulator: Simulator = request.app.state.simulator
    org = _org_for_key(simulator, api_key(request))
    if org is None:
        return reply_response(_error(401, "Authorization has been denied for this request."),
                              {"WWW-Authenticate": 'Basic realm="Insightly"'})
    rest = request.path_params.get("rest", "").strip("/")
    routed = _route(request.method, rest)
    endpoint = routed[2] if isinstance(routed, tuple) else "insightly.unknown"
    now_ms = org.clock.now_ms()
    if not simulator.second_rate(org.name).try_call(now_ms):
        return _finish(org, request, endpoint, None,
                       _error(429, "API rate limit exceeded: too many requests per second.",
                              {"Retry-After": "1"}))
    if not org.usage.try_consume(now_ms):
        return _finish(org, request, endpoint, None,
                       _error(429, "API daily request limit exceeded.", {"Retry-After": "3600"}))
    fault = org.faults.next_call()
    if fault is not None and fault.delay_seconds:
        await asyncio.sleep(fault.delay_seconds)
    if fault is not None and fault.status is not None:
        return _finish(org, request, endpoint, fault, _fault_reply(fault))
    if fault is not None and fault.drop == "before":
        return _finish(org, request, endpoint, fault, ApiReply(status=200))
    if not isinstance(routed, tuple):
        return _finish(org, request, endpoint, fault, routed)
    handler, parts, _ = routed
    call = Call(org=org, user_id=org.integration_user_id(), method=request.method, path=parts,
                params=request.query_params, body=await request.body())
    try:
        with org.lock:
            reply = handler(call)
    except ApiError as error:
        reply = _error(error.status, error.message)
    except Exception:
        logger.exception("org %s: %s %s failed", org.name, request.method, request.url.path)
        reply = _error(500, "An error has occurred.")
    return _finish(org, request, endpoint, fault, reply)


def _accepts_gzip(request: Request) -> bool:
    accepted = (request.headers.get("accept-encoding") or "").lower()
    return any(part.split(";")[0].strip() == "gzip" for part in accepted.split(","))


def _finish(org: OrgState, request: Request, endpoint: str, fault: Fault | None, reply: ApiReply) -> Response:
    now_ms = org.clock.now_ms()
    limit = org.usage.limit
    headers = {LIMIT_HEADER: str(limit), REMAINING_HEADER: str(max(0, limit - org.usage.used(now_ms))),
               "Date": format_http_date(org.clock.now().to_pydatetime(), usegmt=True), **reply.headers}
    content = reply.raw if reply.raw is not None else (None if reply.body is None else orjson.dumps(reply.body))
    if reply.compressible and content and len(content) >= _GZIP_MIN_BYTES and _accepts_gzip(request):
        content = gzip.compress(content, mtime=0)
        headers["Content-Encoding"] = "gzip"
    if fault is not None and fault.truncate and content:
        content = content[: len(content) // 2]
    status = reply.status
    if fault is not None and fault.drop is not None:
        request.scope[DROP_CONNECTION] = True
        status = 0
    org.record_request(request.method, endpoint, status, fault)
    return reply_response(ApiReply(status=reply.status, raw=content, content_type=_JSON), headers)
