"""`POST /services/oauth2/token` and the identity URL `/id/{orgId}/{userId}`.

Credentials by org name: org `acme` accepts client_id `acme` with client_secret `acme-secret`
(HTTP Basic or form fields); the password grant also takes the Username of any active user of the
org with the password `acme-password`; the refresh_token grant takes the org's refresh token
(`refresh_token(org, seed)`, listed by `GET /_sim/orgs`), which stands in for the one a user's web
login to the connected app would have issued. Failures answer 400 with an OAuth error object (not
the REST error array), as Salesforce's token endpoint does: a wrong password or refresh token is
`invalid_grant`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crm_pipelines.sim.ids import BASE62
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.wire import JSON_CONTENT_TYPE

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

SUPPORTED_GRANTS = ("client_credentials", "password", "refresh_token")
# Salesforce's refresh tokens start so; clients that sniff a token's kind see the familiar shape.
_REFRESH_TOKEN_HEAD = "5Aep861"
_REFRESH_TOKEN_BODY_LENGTH = 80


def client_secret(org: str) -> str:
    return f"{org}-secret"


def user_password(org: str) -> str:
    return f"{org}-password"


def refresh_token(org: str, seed: int) -> str:
    """The refresh token of the org's connected app: the same org name and seed give the same one."""
    number = int.from_bytes(hashlib.sha512(f"{seed}:{org}:refresh-token".encode()).digest(), "big")
    digits = []
    for _ in range(_REFRESH_TOKEN_BODY_LENGTH):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return _REFRESH_TOKEN_HEAD + "".join(digits)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers={"Content-Type": JSON_CONTENT_TYPE})


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    scheme, _, encoded = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            client_id, _, secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _authorized_org(simulator: Simulator, client_id: str, secret: str, grant_type: str) -> OrgState:
    org = simulator.orgs.get(client_id)
    if org is None or org.dialect != "salesforce":  # an Insightly org has an API key, no app
        raise OAuthError("invalid_client_id", "client identifier invalid")
    # The refresh token flow makes the secret optional (a connected app may not require it), but a
    # secret that is sent must be right.
    if grant_type == "refresh_token" and not secret:
        return org
    if not hmac.compare_digest(secret, client_secret(org.name)):
        raise OAuthError("invalid_client", "invalid client credentials")
    return org


def _user_for_grant(org: OrgState, grant_type: str, form: dict[str, str]) -> str:
    if grant_type == "client_credentials":
        return org.integration_user_id()
    if grant_type == "refresh_token":
        if not hmac.compare_digest(form.get("refresh_token", ""), refresh_token(org.name, org.seed)):
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return org.integration_user_id()
    user_id = org.user_id_for_username(form.get("username", ""))
    if user_id is None or not hmac.compare_digest(form.get("password", ""), user_password(org.name)):
        raise OAuthError("invalid_grant", "authentication failure")
    return user_id


def base_url_of(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def token(request: Request) -> Response:
    simulator: Simulator = request.app.state.simulator
    form = dict(request.query_params)
    form.update(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        grant_type = form.get("grant_type", "")
        if grant_type not in SUPPORTED_GRANTS:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        org = _authorized_org(simulator, *_client_credentials(request, form), grant_type)
        user_id = _user_for_grant(org, grant_type, form)
    except OAuthError as exc:
        return _json({"error": exc.error, "error_description": exc.description}, exc.status)
    now_ms = org.clock.now_ms()
    session = simulator.sessions.issue(org=org.name, org_id=org.org_id, user_id=user_id,
                                       now_ms=now_ms, lifetime_seconds=org.token_lifetime_seconds)
    base = base_url_of(request)
    identity = f"{base}/id/{org.org_id}/{user_id}"
    issued_at = str(now_ms)
    digest = hmac.new(client_secret(org.name).encode(), (identity + issued_at).encode(),
                      hashlib.sha256).digest()
    return _json({
        "access_token": session.token,
        "instance_url": base,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode("ascii"),
        "scope": "api",
    })


async def identity(request: Request) -> Response:
    simulator: Simulator = request.app.state.simulator
    scheme, _, token_text = (request.headers.get("authorization") or "").partition(" ")
    session = simulator.sessions.find(token_text.strip()) if scheme.lower() in ("bearer", "oauth") else None
    org = simulator.orgs.get(session.org) if session else None
    if session is None or org is None or not session.is_valid_at(org.clock.now_ms()):
        return Response(b"Bad_OAuth_Token", status_code=403, media_type="text/plain")
    org_id, user_id = request.path_params["org_id"], request.path_params["user_id"]
    if org_id != org.org_id or org.table("User").position_of(user_id) is None:
        return Response(b"Bad_Id", status_code=404, media_type="text/plain")
    user = org.record("User", user_id)
    base = base_url_of(request)
    return _json({
        "id": f"{base}/id/{org_id}/{user_id}",
        "asserted_user": user_id == session.user_id,
        "user_id": user_id,
        "organization_id": org_id,
        "username": user["Username"],
        "display_name": user["Name"],
        "email": user["Email"],
        "active": bool(user["IsActive"]),
        "user_type": "STANDARD",
        "urls": {
            "rest": f"{base}/services/data/v{{version}}/",
            "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
            "query": f"{base}/services/data/v{{version}}/query/",
        },
    })
