"""Server-side query locators: the rows a query selected, kept so later pages are stable.

A query selects its rows once; each queryMore page then reads the next slice of those row
positions. Records written after the query do not join it, and none move between pages. Like
Salesforce, an org keeps a bounded number of open cursors and forgets the oldest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from crm_pipelines.sim.ids import make_id

MAX_OPEN_CURSORS = 100
DEFAULT_BATCH_SIZE = 2_000
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2_000


@dataclass(frozen=True)
class QueryCursor:
    locator: str
    sobject: str
    fields: tuple[str, ...]
    positions: np.ndarray
    batch_size: int

    @property
    def total_size(self) -> int:
        return len(self.positions)


def batch_size_from_header(value: str | None) -> int:
    """The page size asked for by `Sforce-Query-Options: batchSize=N`, held within 200..2000."""
    if not value:
        return DEFAULT_BATCH_SIZE
    for option in value.split(","):
        key, _, number = option.partition("=")
        if key.strip().lower() == "batchsize" and number.strip().isdigit():
            return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, int(number.strip())))
    return DEFAULT_BATCH_SIZE


class QueryCursors:
    def __init__(self, capacity: int = MAX_OPEN_CURSORS) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._cursors: OrderedDict[str, QueryCursor] = OrderedDict()
        self._issued = 0

    def open(self, sobject: str, fields: tuple[str, ...], positions: np.ndarray,
             batch_size: int) -> QueryCursor:
        with self._lock:
            self._issued += 1
            locator = make_id("01g", self._issued)
            cursor = QueryCursor(locator, sobject, fields, positions, batch_size)
            self._cursors[locator] = cursor
            while len(self._cursors) > self._capacity:
                self._cursors.popitem(last=False)
            return cursor

    def find(self, locator: str) -> QueryCursor | None:
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is not None:
                self._cursors.move_to_end(locator)
            return cursor
