"""Daily API request accounting on a rolling 24-hour window, per org, as Salesforce keeps it.

What counts: every authenticated request under `/services/data/vXX.X/`, each queryMore page
included, and including requests that then meet an injected fault (they reached the CRM). What does
not count: the token endpoint, the Versions URI `/services/data/`, requests without a valid session
(401), requests refused because the limit is spent (403 REQUEST_LIMIT_EXCEEDED) and the control API.
"""

from __future__ import annotations

import threading
from collections import deque

from crm_pipelines.sim.org_clock import MS_PER_DAY


class ApiUsage:
    """Counts calls in the last 24 hours of org time against a limit."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"API limit must not be negative, got {limit}")
        self._lock = threading.Lock()
        self._limit = limit
        self._calls: deque[int] = deque()

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"API limit must not be negative, got {limit}")
        with self._lock:
            self._limit = limit

    def _expire(self, now_ms: int) -> None:
        horizon = now_ms - MS_PER_DAY
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()

    def used(self, now_ms: int) -> int:
        with self._lock:
            self._expire(now_ms)
            return len(self._calls)

    def try_consume(self, now_ms: int) -> bool:
        """Count one call and return True, or return False (counting nothing) when the limit is spent."""
        with self._lock:
            self._expire(now_ms)
            if len(self._calls) >= self._limit:
                return False
            self._calls.append(now_ms)
            return True

    def consume(self, now_ms: int, calls: int) -> None:
        """Count `calls` made now by someone else; refused (counting nothing) past the limit."""
        if calls < 0:
            raise ValueError(f"calls must not be negative, got {calls}")
        with self._lock:
            self._expire(now_ms)
            if len(self._calls) + calls > self._limit:
                raise ValueError(f"{calls} more calls would exceed the org's limit ({len(self._calls)} of "
                                 f"{self._limit} used)")
            self._calls.extend([now_ms] * calls)

    def reset(self) -> None:
        """Forget every counted call, as if the 24-hour window had just rolled over."""
        with self._lock:
            self._calls.clear()

    def header(self, now_ms: int) -> str:
        """The `Sforce-Limit-Info` value, exactly `api-usage=N/M` (Singer's regex allows no suffix)."""
        return f"api-usage={self.used(now_ms)}/{self._limit}"
