"""What every CRM client does around its HTTP calls, whatever the CRM: how patient it is (the
policy and its retries), which failures are worth another attempt, the org's reserve held back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from crm_pipelines.core.org_quota import calls_above_reserve, reserve_reason
from crm_pipelines.crm.errors import CrmTransientError, OrgNearLimit
from crm_pipelines.crm.port import OrgUsage

# A request that never got its whole answer: worth sending again.
TRANSPORT_FAILURES = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                      requests.exceptions.ContentDecodingError)


@dataclass(frozen=True)
class ClientPolicy:
    """How patient the client is. One policy for every tenant and every call."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_attempts: int = 6
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_inline_wait: float = 60.0
    org_limit_backoff: timedelta = timedelta(hours=1)


def with_retries(policy: ClientPolicy, sleep: Callable[[float], None] | None, attempt: Callable[[], Any]) -> Any:
    """`attempt()`, again after each CrmTransientError up to the policy's attempts, waiting what
    the CRM asked (Retry-After) or an exponential backoff with jitter."""
    backoff = wait_exponential_jitter(multiplier=policy.initial_backoff, max=policy.max_backoff)

    def wait(state) -> float:  # type: ignore[no-untyped-def]
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CrmTransientError) and exc.retry_after is not None:
            return exc.retry_after
        return backoff(state)

    retrying = Retrying(
        retry=retry_if_exception_type(CrmTransientError),
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        reraise=True,
        **({"sleep": sleep} if sleep else {}),
    )
    return retrying(attempt)


def hold_back_for_the_org(tenant_id: str, usage: OrgUsage | None, reserve_percent: float | None,
                          resume_at: datetime) -> None:
    """Refuse (NotNow) a call that would take the org below the reserve kept for its others."""
    # No reserve: calls go on until the org itself answers that its limit is reached.
    if not reserve_percent or usage is None or usage.max <= 0:
        return
    if calls_above_reserve(usage.used, usage.max, reserve_percent) < 1:
        # The reason names the org's numbers only: it is what a person reads in the run and the UI.
        raise OrgNearLimit(tenant_id, reserve_reason(usage.used, usage.max, reserve_percent), resume_at)


def json_or_transient(response: requests.Response, tenant_id: str, what: str) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise CrmTransientError(tenant_id, f"{what}: the CRM's answer was cut short or is not JSON (HTTP {response.status_code})") from None


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
