"""Resident memory of this process, sampled by a thread: tracemalloc is far too slow at scale, and
ru_maxrss only knows the whole run's peak. Each step's peak is the highest sample taken between its
start and end (and the kernel's own high-water mark, VmHWM, bounds the whole run)."""

from __future__ import annotations

import bisect
import threading
import time
from pathlib import Path

STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def high_water_mib() -> float:
    return _status_kib("VmHWM") / 1024


class RssSampler:
    """Samples VmRSS every `interval` seconds into (time.time(), MiB) pairs until stopped."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.times: list[float] = []
        self.mib: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.times.append(time.time())
            self.mib.append(rss_mib())
            self._stop.wait(self.interval)

    def peak_between(self, start: float, end: float) -> float:
        """The highest sample in [start, end] (the one just before start when none falls inside)."""
        lo = bisect.bisect_left(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        window = self.mib[max(0, lo - 1):max(hi, lo)]
        return max(window) if window else 0.0
