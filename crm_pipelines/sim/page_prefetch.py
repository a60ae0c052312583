"""The next page of a query, built while the client is still reading the current one.

A client paging through a large query alternates: ask for a page, then parse it. Serializing a
2,000-record page costs the server about 10 ms, which would otherwise sit idle while the client
parses; building page k+1 in a background thread right after page k is answered hides that cost.
A prefetched page is used only if nothing has written to the object since it was built (the
table's version is unchanged), so a page always shows the records as they are when it is asked for.
Builds run under the org lock and leave their result on the pending entry before releasing it, so
a request (which holds the same lock) finds either a finished page or none, and never waits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

_MAX_PENDING = 16
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-sim-prefetch")


@dataclass(frozen=True)
class PageKey:
    locator: str
    offset: int
    batch_size: int
    base_path: str


@dataclass
class _Pending:
    key: PageKey
    version: int
    content: bytes | None = None
    taken: bool = False


class PagePrefetcher:
    """At most one prefetched page per cursor, for a bounded number of cursors of one org."""

    def __init__(self, org_lock: threading.RLock) -> None:
        self._org_lock = org_lock
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, _Pending] = OrderedDict()

    def schedule(self, key: PageKey, version: int, build: Callable[[], bytes | None]) -> None:
        """Build a page in the background; `build` runs under the org lock and returns None if
        the table changed since `version`."""
        pending = _Pending(key, version)
        with self._lock:
            self._pending[key.locator] = pending
            self._pending.move_to_end(key.locator)
            while len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)
        _EXECUTOR.submit(self._fill, pending, build)

    def _fill(self, pending: _Pending, build: Callable[[], bytes | None]) -> None:
        with self._org_lock:
            if not pending.taken:
                pending.content = build()

    def take(self, key: PageKey, version: int) -> bytes | None:
        """The page for `key` if it was prefetched and is still current (caller holds the org lock)."""
        with self._lock:
            pending = self._pending.pop(key.locator, None)
        if pending is None:
            return None
        pending.taken = True
        if pending.key != key or pending.version != version:
            return None
        return pending.content
