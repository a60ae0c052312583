"""The org clock: UTC time with millisecond precision that runs with the wall clock and can jump.

Salesforce stamps every write with the server's time. The simulator's org starts at the moment its
data was generated, runs forward with real time (so tokens expire and the 24-hour API window rolls
on their own) and can be advanced through the control API to test day boundaries without waiting.
"""

from __future__ import annotations

import threading
import time

import pandas as pd

MS_PER_SECOND = 1_000
MS_PER_DAY = 86_400_000


def timestamp_to_ms(value: pd.Timestamp) -> int:
    """Milliseconds since the epoch of a timestamp (naive values are taken as UTC)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value // 1_000_000)


def ms_to_timestamp(ms: int) -> pd.Timestamp:
    return pd.Timestamp(ms, unit="ms", tz="UTC")


class OrgClock:
    """Time as the org sees it; `stamp()` hands out write stamps that never go backwards."""

    def __init__(self, start: pd.Timestamp, *, last_stamp: pd.Timestamp | None = None) -> None:
        self._lock = threading.Lock()
        self._start_ms = timestamp_to_ms(start)
        self._started = time.monotonic()
        self._offset_ms = 0
        self._last_now_ms = self._start_ms
        # A write must land strictly after every stamp already in the data, or a client's
        # `SystemModstamp > cursor` would miss it.
        self._last_stamp_ms = self._start_ms
        if last_stamp is not None:
            self._last_stamp_ms = max(self._start_ms, timestamp_to_ms(last_stamp))

    def now_ms(self) -> int:
        with self._lock:
            elapsed = int((time.monotonic() - self._started) * MS_PER_SECOND)
            self._last_now_ms = max(self._last_now_ms, self._start_ms + elapsed + self._offset_ms)
            return self._last_now_ms

    def now(self) -> pd.Timestamp:
        return ms_to_timestamp(self.now_ms())

    def stamp_ms(self) -> int:
        """The stamp of one write transaction: at least now, and after every earlier stamp."""
        now = self.now_ms()
        with self._lock:
            self._last_stamp_ms = max(now, self._last_stamp_ms + 1)
            return self._last_stamp_ms

    def stamp(self) -> pd.Timestamp:
        return ms_to_timestamp(self.stamp_ms())

    def advance(self, seconds: float) -> pd.Timestamp:
        """Jump forward; a negative jump is refused because Salesforce time never runs back."""
        if seconds < 0:
            raise ValueError(f"the org clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._offset_ms += int(round(seconds * MS_PER_SECOND))
        return self.now()
