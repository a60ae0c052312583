"""One authenticated REST call as the resource handlers see it, and what they answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import Headers, QueryParams

from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.sessions import Session
from crm_pipelines.sim.wire import JSON_CONTENT_TYPE, ApiError


@dataclass(frozen=True)
class ApiCall:
    org: OrgState
    session: Session
    version: str                 # "60.0"
    method: str
    path_args: tuple[str, ...]   # the parts of the resource path the route captured
    params: QueryParams
    headers: Headers
    body: bytes

    @property
    def base_path(self) -> str:
        return f"/services/data/v{self.version}"

    @property
    def version_number(self) -> float:
        return float(self.version)

    def json_body(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body is empty.")
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR",
                           f"Unexpected character in the request body: {exc}") from None

    def flag(self, name: str) -> bool:
        return (self.params.get(name) or "").lower() == "true"


@dataclass
class ApiReply:
    status: int = 200
    body: Any = None          # JSON-ready value; None with raw None means no body (204)
    raw: bytes | None = None  # an already serialized body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_CONTENT_TYPE
    compressible: bool = False  # gzip it for a client that sends Accept-Encoding: gzip

    def content(self) -> bytes | None:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return None
        return orjson.dumps(self.body)
