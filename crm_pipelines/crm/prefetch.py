"""Reading ahead: the next query page travels over the wire while this one is written.

One page ahead at most, so a sync that stops early (budget, org limit) has spent at most one
call more than it used, and that call was still counted against the budget before it was sent.
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
    slots: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((_DONE, None))
        except BaseException as exc:  # handed over to the consumer, never lost
            slots.put((None, exc))

    worker = threading.Thread(target=fetch, name="crm-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=30)
