"""An org's Bulk API jobs (2.0 query jobs and 1.0 jobs with their batches), and what they count
against the org's Bulk limits.

Jobs live in their org's own store, so a token of another org can never find one. A job's rows are
selected when its query is taken (2.0: at create; 1.0: at each batch), so later polling and paging
read a stable set, as with REST query cursors. How long a job stays in progress is decided by its
id: deterministic, and long enough (one or two status calls) that clients' polling paths run.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from crm_pipelines.sim.org_clock import MS_PER_DAY
from crm_pipelines.sim.ids import make_id, stable_number

JOB_KEY_PREFIX = "750"
BATCH_KEY_PREFIX = "751"
RESULT_KEY_PREFIX = "752"


def in_progress_polls(record_id: str) -> int:
    """How many status calls see the job (or batch) still in progress: one or two."""
    return 1 + stable_number(f"bulk:{record_id}") % 2


def polled_state(record_id: str, status_calls: int, failure: str | None, finished: str) -> str:
    """The state a job or batch shows at its `status_calls`-th status call: in progress for the first
    one or two, then `finished`, or Failed when it was to fail."""
    if status_calls <= in_progress_polls(record_id):
        return "InProgress"
    return "Failed" if failure else finished


class _Window:
    """Times of events in the last 24 hours of org time."""

    def __init__(self) -> None:
        self._times: deque[int] = deque()

    def add(self, now_ms: int, count: int = 1) -> None:
        self._times.extend([now_ms] * count)

    def count(self, now_ms: int) -> int:
        while self._times and self._times[0] <= now_ms - MS_PER_DAY:
            self._times.popleft()
        return len(self._times)


class BulkJobs:
    def __init__(self, pod: str) -> None:
        self._lock = threading.Lock()
        self._pod = pod
        self._issued: dict[str, int] = {}
        self._jobs: dict[str, Any] = {}
        self.v2_query_jobs = _Window()
        self.v1_batches = _Window()

    def new_id(self, key_prefix: str) -> str:
        with self._lock:
            self._issued[key_prefix] = self._issued.get(key_prefix, 0) + 1
            return make_id(key_prefix, self._issued[key_prefix], self._pod)

    def add(self, job_id: str, job: Any) -> None:
        with self._lock:
            self._jobs[job_id] = job

    def find(self, job_id: str, kind: type) -> Any | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if isinstance(job, kind) else None

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def of_kind(self, kind: type) -> list[Any]:
        with self._lock:
            return [job for job in self._jobs.values() if isinstance(job, kind)]
