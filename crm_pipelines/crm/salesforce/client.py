"""A Salesforce REST client for one tenant: OAuth2, paging, budget gate, retries, errors.

Every HTTP request, retries and token requests included, first asks `reserve_call` (the tenant's
API budget) and is sent only if it fits. Every API call is also held back when the org's own usage,
shared with its other integrations (`/limits` at the start of a run, then each answer's
Sforce-Limit-Info), leaves no call above the reserve the tenant keeps for them (S1). Transient failures (429, 5xx, dropped connections,
truncated bodies) are retried with exponential backoff and jitter by tenacity; a Retry-After
longer than a run should sit idle, REQUEST_LIMIT_EXCEEDED and an exhausted budget become `NotNow`
so the caller keeps what it has and defers the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter

from crm_pipelines.clock import Clock, system_clock
from crm_pipelines.crm.errors import (
    CrmApiError,
    CrmAuthError,
    CrmTransientError,
    OrgLimitExceeded,
    RetryAfterTooLong,
)
from crm_pipelines.crm.http_calls import (
    TRANSPORT_FAILURES,
    ClientPolicy,
    hold_back_for_the_org,
    json_or_transient,
    retry_after,
    with_retries,
)
from crm_pipelines.crm.port import OrgUsage, RecordPage
from crm_pipelines.crm.salesforce.wire import error_of, parse_http_date, parse_limit_info, usage_from_limits
from crm_pipelines.settings import CrmConnection, ResolvedCredentials

_TRANSIENT_STATUS = {429, 500, 502, 503, 504}



class Logins:
    """Access tokens (and their instance URLs) by tenant, login URL and client id, in memory only
    (never stored). Held by whoever makes the clients (the CRM resource, for one run), so the
    assets of a run share a login instead of spending a call each on it, while two resources, or
    two tests, never see each other's. A token that has expired is answered with 401 and replaced."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, str]] = {}

    def get(self, key: tuple[str, str, str]) -> tuple[str, str] | None:
        return self._tokens.get(key)

    def keep(self, key: tuple[str, str, str], token: str, instance_url: str) -> None:
        self._tokens[key] = (token, instance_url)

    def forget(self, key: tuple[str, str, str]) -> None:
        self._tokens.pop(key, None)


# A query's page is the port's page: Salesforce's records already carry the pipeline's field names.
QueryPage = RecordPage


class _SessionExpired(Exception):
    pass


@dataclass
class SalesforceClient:
    tenant_id: str
    connection: CrmConnection
    credentials: ResolvedCredentials
    reserve_call: Callable[[], object]
    clock: Clock = system_clock
    policy: ClientPolicy = field(default_factory=ClientPolicy)
    sleep: Callable[[float], None] | None = None
    # The share of the org's daily cap left to its other integrations; None: not watched.
    org_reserve_percent: float | None = None
    # Shared with the other clients of the same run; a client of its own otherwise.
    logins: Logins = field(default_factory=Logins, repr=False)

    calls_sent: int = 0
    last_usage: OrgUsage | None = None
    # The CRM's own clock, from the Date of its last answer (replication windows are in its time).
    crm_time: datetime | None = None
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, repr=False)
    _instance_url: str | None = None

    def __post_init__(self) -> None:
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- public API ------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"/services/data/v{self.connection.api_version}"

    def query_pages(self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None) -> Iterator[QueryPage]:
        """Every page of a query, following nextRecordsUrl; queryAll when `include_deleted`."""
        resource = "queryAll" if include_deleted else "query"
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        body = self.get(f"{self.api_base}/{resource}", params={"q": soql}, headers=headers, what=f"{resource} {soql[:200]}")
        while True:
            page = QueryPage(
                records=body.get("records", []), total_size=int(body.get("totalSize", 0)),
                done=bool(body.get("done", True)),
            )
            yield page
            if page.done or not body.get("nextRecordsUrl"):
                return
            body = self.get(body["nextRecordsUrl"], headers=headers, what=f"{resource} next page")

    def describe(self, sobject: str) -> dict[str, Any]:
        return self.get(f"{self.api_base}/sobjects/{sobject}/describe", what=f"describe {sobject}")

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """The delete log of `sobject` between start and end (the CRM's time, whole minutes)."""
        params = {"start": _iso(start), "end": _iso(end)}
        return self.get(f"{self.api_base}/sobjects/{sobject}/deleted/", params=params, what=f"deleted {sobject}")

    def ids(self, sobject: str, *, include_deleted: bool) -> Iterator[list[str]]:
        """Every Id of `sobject`, a page (2,000) per call: the cheapest full read there is."""
        for page in self.query_pages(f"SELECT Id FROM {sobject}", include_deleted=include_deleted):
            yield [str(record["Id"]) for record in page.records]

    def limits(self) -> dict[str, Any]:
        return self.get(f"{self.api_base}/limits/", what="limits")

    def read_org_usage(self) -> OrgUsage | None:
        """The org's daily API usage from /limits (one call, counted like any other)."""
        usage = usage_from_limits(self.limits())
        if usage is not None:
            self.last_usage = usage
        return self.last_usage

    def get(self, path: str, *, params: dict[str, str] | None = None, headers: dict[str, str] | None = None, what: str = "") -> Any:
        return self.request("GET", path, params=params, headers=headers, what=what)

    def request(self, method: str, path: str, *, params: dict[str, str] | None = None, json_body: Any = None,
                headers: dict[str, str] | None = None, what: str = "", raw: bool = False) -> Any:
        """One API call with retries; re-authenticates once if the session expired. The answer's
        JSON, or with `raw` the response itself, its body not read yet (a Bulk job's CSV results,
        which the caller streams and closes); errors are JSON either way."""
        if self._token is None:
            # Another client of the run may have logged in since this one was made.
            shared = self.logins.get(self._token_key)
            if shared is not None:
                self._token, self._instance_url = shared
            else:
                self.authenticate()
        try:
            return self._with_retries(lambda: self._send(method, path, params, json_body, headers, what, raw))
        except _SessionExpired:
            self.logins.forget(self._token_key)
            self.authenticate()
            try:
                return self._with_retries(lambda: self._send(method, path, params, json_body, headers, what, raw))
            except _SessionExpired:
                raise CrmAuthError(self.tenant_id, f"{what or path}: session refused again right after re-authenticating") from None

    def authenticate(self) -> None:
        """OAuth2 token request (client credentials or password grant) against the login URL."""
        creds = self.credentials
        form = {"grant_type": creds.grant, "client_id": creds.client_id, "client_secret": creds.client_secret.get_secret_value()}
        if creds.grant == "password":
            assert creds.username is not None and creds.password is not None
            form["username"] = creds.username
            form["password"] = creds.password.get_secret_value()
        url = f"{self.connection.login_url}/services/oauth2/token"

        def attempt() -> dict[str, Any]:
            response = self._http("POST", url, data=form, what="login")
            if response.status_code in _TRANSIENT_STATUS:
                raise CrmTransientError(self.tenant_id, f"login: HTTP {response.status_code}")
            body = json_or_transient(response, self.tenant_id, "login")
            if response.status_code != 200:
                code, message = error_of(body)
                raise CrmAuthError(self.tenant_id, f"login to {self.connection.login_url} refused: {code}: {message}")
            return body

        body = self._with_retries(attempt)
        self._token = body["access_token"]
        self._instance_url = body["instance_url"].rstrip("/")
        self.logins.keep(self._token_key, self._token, self._instance_url)

    @property
    def _token_key(self) -> tuple[str, str, str]:
        return (self.tenant_id, self.connection.login_url, self.credentials.client_id)

    # -- internals -------------------------------------------------------------------------
    def _with_retries(self, attempt: Callable[[], Any]) -> Any:
        return with_retries(self.policy, self.sleep, attempt)

    def _send(self, method: str, path: str, params: dict[str, str] | None, json_body: Any,
              headers: dict[str, str] | None, what: str, raw: bool = False) -> Any:
        assert self._instance_url is not None
        self._hold_back_for_the_org()
        url = path if path.startswith("http") else urljoin(self._instance_url + "/", path.lstrip("/"))
        response = self._http(method, url, params=params, json=json_body, what=what, stream=raw,
                              headers={"Authorization": f"Bearer {self._token}", **(headers or {})})
        status = response.status_code
        if status == 401:
            raise _SessionExpired()
        if status == 204:
            return None
        if status in _TRANSIENT_STATUS:
            asked = retry_after(response)
            if asked is not None and asked > self.policy.max_inline_wait:
                raise RetryAfterTooLong(
                    self.tenant_id, f"{what or path}: the CRM asked to retry after {asked:.0f} s",
                    self.clock() + timedelta(seconds=asked),
                )
            raise CrmTransientError(self.tenant_id, f"{what or path}: HTTP {status}", asked)
        if raw and status < 400:
            return response
        body = json_or_transient(response, self.tenant_id, what or path)
        if status >= 400:
            code, message = error_of(body)
            if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
                raise OrgLimitExceeded(
                    self.tenant_id, f"the org's own API limit is exhausted (REQUEST_LIMIT_EXCEEDED: {message})",
                    self.clock() + self.policy.org_limit_backoff,
                )
            raise CrmApiError(self.tenant_id, status, code, message, f"{method} {what or path}")
        return body

    def _hold_back_for_the_org(self) -> None:
        hold_back_for_the_org(self.tenant_id, self.last_usage, self.org_reserve_percent,
                              self.clock() + self.policy.org_limit_backoff)

    def _http(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        self.reserve_call()
        self.calls_sent += 1
        try:
            response = self._session.request(
                method, url, timeout=(self.policy.connect_timeout, self.policy.read_timeout), **kwargs
            )
            if kwargs.get("stream") and not 200 <= response.status_code < 300:
                response.content  # noqa: B018 - an error's small body, read now like any other answer's
        except TRANSPORT_FAILURES as exc:
            raise CrmTransientError(self.tenant_id, f"{what}: {type(exc).__name__} talking to the CRM") from None
        crm_time = parse_http_date(response.headers.get("Date"))
        if crm_time is not None:
            self.crm_time = crm_time
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.last_usage = usage
        return response


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
