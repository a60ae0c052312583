"""Insightly's per-second request rate, per org (its daily allowance is the org's `ApiUsage`).

Insightly allows 10 requests a second per instance; past that it answers 429. The window runs on
the org clock, which moves with real time (and jumps when the control API advances it).
"""

from __future__ import annotations

import threading
from collections import deque

from crm_pipelines.sim.org_clock import MS_PER_SECOND

DEFAULT_RATE_PER_SECOND = 10


class SecondRate:
    def __init__(self, per_second: int = DEFAULT_RATE_PER_SECOND) -> None:
        self._lock = threading.Lock()
        self._calls: deque[int] = deque()
        self.per_second = per_second

    def try_call(self, now_ms: int) -> bool:
        """Count a call and return True, or False (counting nothing) past the rate."""
        with self._lock:
            while self._calls and self._calls[0] <= now_ms - MS_PER_SECOND:
                self._calls.popleft()
            if len(self._calls) >= self.per_second:
                return False
            self._calls.append(now_ms)
            return True
