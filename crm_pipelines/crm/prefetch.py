"""Reading ahead: the next query page travels over the wire while this one is written.

Exactly one item ahead at most: the fetcher asks for the next item only once the consumer has
taken the previous one. So a sync that stops early (budget, org limit) has spent at most one call
more than it used, and that call was still counted against the budget before it was sent.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterable[T]) -> Iterator[T]:
    """Yield `items` in order while a background thread fetches the next one. An exception raised
    while fetching is raised here, at the position where the item would have been."""
    handed: queue.Queue = queue.Queue()
    may_fetch = threading.Semaphore(1)
    stop = threading.Event()

    def fetch() -> None:
        iterator = iter(items)
        try:
            while True:
                while not may_fetch.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    handed.put((_DONE, None))
                    return
                handed.put((item, None))
        except BaseException as exc:  # handed over to the consumer, never lost
            handed.put((None, exc))

    worker = threading.Thread(target=fetch, name="crm-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = handed.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            may_fetch.release()  # this one is taken: the next may travel while it is used
            yield item
    finally:
        stop.set()
        worker.join(timeout=30)
