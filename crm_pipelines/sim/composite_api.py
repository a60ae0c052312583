"""`POST /composite`: up to 25 subrequests in one call, counted as one API call.

Salesforce's Composite resource runs its subrequests in order and answers each with its own
status and body; at most 5 of them may be sObject Collections or queries, so one call writes up
to 1,000 records through five collections of 200. A subrequest's refusal (400, 404) is its own:
the others are applied. allOrNone true (roll everything back on any error) is not simulated and
is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from starlette.datastructures import QueryParams

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.api_pipeline import Resource
from crm_pipelines.sim.wire import ApiError

MAX_SUBREQUESTS = 25
MAX_COLLECTIONS_OR_QUERIES = 5
_SUB_URL = re.compile(r"^/services/data/v(?P<version>\d{2}\.0)(?P<rest>/[^?]*)(?:\?(?P<query>.*))?$")
_COUNTED = ("composite.create", "composite.update", "composite.upsert", "composite.delete",
            "composite.retrieve", "query", "queryAll")

Resolve = Callable[[str, str, float], tuple[Resource, tuple[str, ...]]]


def composite(call: ApiCall, resolve: Resolve) -> ApiReply:
    body = call.json_body()
    subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subrequests, list) or not subrequests:
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must hold a compositeRequest array.")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise ApiError(400, "INVALID_BATCH_REQUEST",
                       f"Composite request cannot have more than {MAX_SUBREQUESTS} subrequests")
    if body.get("allOrNone"):
        raise ApiError(400, "INVALID_FIELD", "allOrNone true is not supported by the simulator's composite")
    routed = [_route(sub, resolve) for sub in subrequests]
    counted = sum(1 for found in routed if found is not None and found[0].endpoint in _COUNTED)
    if counted > MAX_COLLECTIONS_OR_QUERIES:
        raise ApiError(400, "INVALID_BATCH_REQUEST", f"Composite request cannot have more than "
                       f"{MAX_COLLECTIONS_OR_QUERIES} sObject Collections or query subrequests")
    return ApiReply(body={"compositeResponse": [
        _answer(call, sub, found) for sub, found in zip(subrequests, routed, strict=True)]})


def _route(sub: Any, resolve: Resolve) -> tuple[Resource, tuple[str, ...], str, str] | None:
    if not isinstance(sub, dict):
        return None
    match = _SUB_URL.match(str(sub.get("url") or ""))
    if match is None:
        return None
    try:
        found, args = resolve(str(sub.get("method") or "GET").upper(), match["rest"], float(match["version"]))
    except ApiError:
        return None
    if found.endpoint == "composite":
        return None
    return found, args, match["version"], match["query"] or ""


def _answer(call: ApiCall, sub: Any, found: tuple[Resource, tuple[str, ...], str, str] | None) -> dict[str, Any]:
    reference = sub.get("referenceId") if isinstance(sub, dict) else None
    if found is None:
        error = ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return {"body": error.body(), "httpHeaders": {}, "httpStatusCode": 404, "referenceId": reference}
    resource, args, version, query = found
    payload = sub.get("body")
    sub_call = replace(call, version=version, method=resource.method, path_args=args, params=QueryParams(query),
                       body=b"" if payload is None else orjson.dumps(payload))
    try:
        reply = resource.handler(sub_call)
    except ApiError as error:
        return {"body": error.body(), "httpHeaders": {}, "httpStatusCode": error.status, "referenceId": reference}
    answer = reply.body if reply.raw is None else orjson.loads(reply.raw)
    return {"body": answer, "httpHeaders": {}, "httpStatusCode": reply.status, "referenceId": reference}
