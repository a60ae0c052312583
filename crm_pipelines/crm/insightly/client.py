"""An Insightly API v3.1 client for one tenant: the API key, the budget gate, limits, retries, paging.

Every HTTP request, retries included, first asks `reserve_call` (the tenant's API budget) and is
sent only if it fits; a call that would take the org below the reserve kept for its other
integrations is held back (S1), the org's usage coming from every answer's X-RateLimit headers.
The key travels as HTTP Basic (the key as user name, an empty password) and appears in no
message: a refusal names the environment variable it came from.

Insightly answers 429 for two limits: the day's allowance (X-RateLimit-Remaining at 0), which
no retry within a run helps (`OrgLimitExceeded`, resume when its Retry-After says, else after the
policy's backoff), and its per-second rate, waited out within the policy like a 5xx or a dropped
connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from pydantic import SecretStr
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
from crm_pipelines.crm.insightly.wire import daily_allowance_spent, error_of, usage_of
from crm_pipelines.crm.port import OrgUsage
from crm_pipelines.crm.salesforce.wire import parse_http_date

# Insightly's most records a list or search answers at once.
MAX_TOP = 500
# Where a paged listing stands: the next skip, and the id of the last record seen (id order).
PagePosition = tuple[int, int | None]
# Records each page reads again of the one before: deletions while paging shift up to this many.
PAGE_OVERLAP = 10
_SERVER_TROUBLE = {500, 502, 503, 504}
# Insightly's per-second rate, when a 429 does not say how long to wait.
_RATE_WAIT_SECONDS = 1.0


@dataclass
class InsightlyClient:
    tenant_id: str
    base_url: str                  # the API host, such as https://api.na1.insightly.com
    api_key: SecretStr = field(repr=False)
    api_key_name: str              # the environment variable the key came from: what messages name
    reserve_call: Callable[[], object]
    api_version: str = "3.1"
    clock: Clock = system_clock
    policy: ClientPolicy = field(default_factory=ClientPolicy)
    sleep: Callable[[float], None] | None = None
    org_reserve_percent: float | None = None

    calls_sent: int = 0
    last_usage: OrgUsage | None = None
    crm_time: datetime | None = None
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.trust_env = False
        self._session.headers["Accept"] = "application/json"

    @property
    def api_base(self) -> str:
        return f"{self.base_url.rstrip('/')}/v{self.api_version}/"

    # -- public API ------------------------------------------------------------------------
    def pages(self, path: str, params: dict[str, str] | None = None, *, top: int = MAX_TOP,
              id_field: str | None = None, what: str = "") -> Iterator[list[dict[str, Any]]]:
        """Every record of a list or search, `top` a call in the CRM's (id) order; the next page
        is asked for only when the caller takes this one (see `positioned_pages`)."""
        for records, _after in self.positioned_pages(path, params, top=top, id_field=id_field, what=what):
            yield records

    def positioned_pages(self, path: str, params: dict[str, str] | None = None, *, top: int = MAX_TOP,
                         id_field: str | None = None, what: str = "",
                         start: PagePosition = (0, None)) -> Iterator[tuple[list[dict[str, Any]], PagePosition | None]]:
        """`pages`, each with where the listing stands after it (None after the last): passed back
        as `start`, the listing goes on from the next page.

        skip/top count positions, and a record deleted while paging moves every later one a
        position forward, past the next skip. With `id_field`, pages overlap by `PAGE_OVERLAP`
        records (seen ones are dropped), and a page that does not reach back to the last record
        already seen is asked again from a page further back: no record is passed over."""
        skip, last = start
        while True:
            page = self.get(path, params={**(params or {}), "skip": str(skip), "top": str(top)},
                            what=f"{what or path} from {skip}")
            records = page if isinstance(page, list) else []
            if id_field is None:
                done = len(records) < top
                skip += len(records)
                yield records, None if done else (skip, None)
                if done:
                    return
                continue
            if last is not None and records and int(records[0][id_field]) > last and skip > 0:
                skip = max(0, skip - top)
                continue
            fresh = [r for r in records if last is None or int(r[id_field]) > last]
            if len(records) < top:
                yield fresh, None
                return
            last = int(records[-1][id_field])
            skip += len(records) - PAGE_OVERLAP
            yield fresh, (skip, last)

    def get(self, path: str, *, params: dict[str, str] | None = None, what: str = "") -> Any:
        return self.request("GET", path, params=params, what=what)

    def request(self, method: str, path: str, *, params: dict[str, str] | None = None, json_body: Any = None,
                what: str = "", retried: bool = True) -> Any:
        """One API call, retried while the failure is worth retrying; `retried=False` for a call
        that must not be sent twice blindly (a create: the first may have taken effect unheard)."""
        if not retried:
            return self._send(method, path, params, json_body, what or path)
        return self._with_retries(lambda: self._send(method, path, params, json_body, what or path))

    def pause(self, attempt: int, retry_after: float | None) -> None:
        """Wait before trying again as the policy would between two attempts."""
        wait = retry_after if retry_after is not None else min(
            self.policy.max_backoff, self.policy.initial_backoff * 2 ** attempt)
        (self.sleep or time.sleep)(wait)

    # -- internals -------------------------------------------------------------------------
    def _with_retries(self, attempt: Callable[[], Any]) -> Any:
        return with_retries(self.policy, self.sleep, attempt)

    def _send(self, method: str, path: str, params: dict[str, str] | None, json_body: Any, what: str) -> Any:
        hold_back_for_the_org(self.tenant_id, self.last_usage, self.org_reserve_percent,
                              self.clock() + self.policy.org_limit_backoff)
        response = self._http(method, self.api_base + path.lstrip("/"), params=params, json=json_body, what=what)
        status = response.status_code
        if status == 401:
            raise CrmAuthError(self.tenant_id, f"{method} {what}: Insightly at {self.base_url} refused the API key "
                               f"from environment variable {self.api_key_name}")
        if status == 429:
            self._too_many(response, what)
        if status in _SERVER_TROUBLE:
            raise CrmTransientError(self.tenant_id, f"{method} {what}: HTTP {status}", retry_after(response))
        if status in (202, 204) or not response.content:
            if status >= 400:
                raise CrmApiError(self.tenant_id, status, *error_of(status, None), f"{method} {what}")
            return None
        body = json_or_transient(response, self.tenant_id, f"{method} {what}")
        if status >= 400:
            raise CrmApiError(self.tenant_id, status, *error_of(status, body), f"{method} {what}")
        return body

    def _too_many(self, response: requests.Response, what: str) -> None:
        asked = retry_after(response)
        if daily_allowance_spent(response.headers):
            wait = timedelta(seconds=asked) if asked is not None else self.policy.org_limit_backoff
            raise OrgLimitExceeded(self.tenant_id, f"{what}: the org's daily Insightly API allowance is spent "
                                   "(HTTP 429)", self.clock() + wait)
        asked = _RATE_WAIT_SECONDS if asked is None else asked
        if asked > self.policy.max_inline_wait:
            raise RetryAfterTooLong(self.tenant_id, f"{what}: the CRM asked to retry after {asked:.0f} s",
                                    self.clock() + timedelta(seconds=asked))
        raise CrmTransientError(self.tenant_id, f"{what}: over Insightly's per-second rate (HTTP 429)", asked)

    def _http(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        self.reserve_call()
        self.calls_sent += 1
        try:
            response = self._session.request(
                method, url, auth=(self.api_key.get_secret_value(), ""),
                timeout=(self.policy.connect_timeout, self.policy.read_timeout), **kwargs,
            )
        except TRANSPORT_FAILURES as exc:
            raise CrmTransientError(self.tenant_id, f"{method} {what}: {type(exc).__name__} talking to the CRM") from None
        crm_time = parse_http_date(response.headers.get("Date"))
        if crm_time is not None:
            self.crm_time = crm_time
        usage = usage_of(response.headers)
        if usage is not None:
            self.last_usage = usage
        return response
