"""Writing behind: the database commits one page while the next is converted.

One writer thread, one page in flight, commits in submission order, so the cursor still never gets
ahead of the rows (each commit carries its own page's cursor). A failed commit stops the writer
and is raised to the caller at its next submit or at close; nothing after it is written.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_STOP = object()


class WriteBehind:
    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self.results: list[Any] = []
        self._thread = threading.Thread(target=self._run, name="crm-write-behind", daemon=True)
        self._thread.start()

    def submit(self, write: Callable[[], Any]) -> None:
        self._raise_if_failed()
        self._jobs.put(write)
        self._raise_if_failed()

    def close(self) -> list[Any]:
        """Wait for every submitted write; raise the first failure, if any."""
        self._jobs.put(_STOP)
        self._thread.join()
        self._raise_if_failed()
        return self.results

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            if self._error is not None:
                continue  # drain without writing: nothing may land after a failed page
            try:
                self.results.append(job())
            except BaseException as exc:
                self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
