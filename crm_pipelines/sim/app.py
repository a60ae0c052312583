"""The simulator's ASGI application: Salesforce's REST (with Bulk 2.0), Bulk 1.0 and OAuth paths,
Insightly's API v3.1 (for orgs declared `insightly`), and the control API."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_pipelines.sim import api_pipeline, bulk1_api, control_api, oauth_api, rest_api
from crm_pipelines.sim.header_case import spell_header_names
from crm_pipelines.sim.insightly.routes import insightly_api
from crm_pipelines.sim.simulator import Simulator
from crm_pipelines.sim.wire import JSON_CONTENT_TYPE, not_found

logger = logging.getLogger(__name__)
_DISCONNECT_WAIT_STEPS = 100
_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return Response(orjson.dumps(not_found().body()), status_code=404,
                    headers={"Content-Type": JSON_CONTENT_TYPE})


class DropConnections:
    """Closes the connection instead of answering, or halfway through the answer's body, when a
    handler marked the request for it.

    An ASGI app cannot close its socket, and raising makes uvicorn answer 500. The server's `send`
    is a method of uvicorn's per-request cycle, which holds the transport; closing that before
    any byte of the response leaves the client with a connection closed without a response, and
    after half the body a client that reads fewer bytes than the Content-Length it was told.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cycle: Any = getattr(send, "__self__", None)
        transport: Any = getattr(cycle, "transport", None)

        async def wait_for_disconnect() -> None:
            # Wait for connection_lost to reach uvicorn, so it knows the client is gone and does
            # not try to answer 500 (or complain of a response left unfinished).
            for _ in range(_DISCONNECT_WAIT_STEPS):
                if getattr(cycle, "disconnected", True):
                    break
                await asyncio.sleep(0.001)

        async def send_or_drop(message: Message) -> None:
            if scope.get(api_pipeline.CUT_CONNECTION) and message["type"] == "http.response.body":
                # The headers (with the whole body's Content-Length) are gone; half the body
                # follows, then the connection closes, its written bytes flushed first.
                if transport is None:
                    raise RuntimeError("this server does not expose its transport; cannot cut a connection")
                body = message.get("body", b"")
                await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
                transport.close()
                await wait_for_disconnect()
                return
            if not scope.get(api_pipeline.DROP_CONNECTION):
                await send(message)
                return
            if message["type"] == "http.response.start":
                if transport is None:
                    raise RuntimeError("this server does not expose its transport; cannot drop a connection")
                transport.abort()
                await wait_for_disconnect()

        await self.app(scope, receive, send_or_drop)


def build_app(simulator: Simulator) -> ASGIApp:
    app = Starlette(
        routes=[
            Route("/services/oauth2/token", oauth_api.token, methods=["POST"]),
            Route("/id/{org_id}/{user_id}", oauth_api.identity, methods=["GET"]),
            Route("/services/data", rest_api.data_api, methods=_METHODS),
            Route("/services/data/{rest:path}", rest_api.data_api, methods=_METHODS),
            Route("/services/async/{rest:path}", bulk1_api.async_api, methods=_METHODS),
            Route("/v3.1/{rest:path}", insightly_api, methods=_METHODS),
            Mount("/_sim", routes=control_api.ROUTES),
        ],
        exception_handlers={404: _not_found},
    )
    app.state.simulator = simulator
    # DropConnections outermost: it reaches the server's transport through the server's own `send`.
    return DropConnections(spell_header_names(app))
