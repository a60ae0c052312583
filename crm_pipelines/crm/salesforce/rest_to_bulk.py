"""A read that goes on as a Bulk job after its first REST page: the job reads from that page's last
stamp on (`>=`, so a record committed late with that very stamp is not skipped: the cursor-boundary
loss that a strict `(stamp, Id) >` bound risks), and so reads again the page's records that carry
that stamp. Those are dropped from the job's pages here: the same Id with the same SystemModstamp is
the same version of the record, already handed on. Left in, they made the first slice's straight
COPY fail on their keys and go again through the staging table's upsert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.crm_objects import CURSOR_FIELD
from crm_pipelines.core.extraction import ArrowRecords
from crm_pipelines.crm.salesforce.wire import parse_datetime


@dataclass(frozen=True)
class AlreadyRead:
    """The records a REST page handed on at its last stamp (`stamp`): their ids."""

    stamp: datetime
    ids: frozenset[str]

    @classmethod
    def at_end_of(cls, records: Sequence[dict[str, Any]]) -> AlreadyRead:
        """The last records of a page in (stamp, Id) order that share its last stamp."""
        stamp = parse_datetime(records[-1][CURSOR_FIELD])
        ids = set()
        for record in reversed(records):
            if parse_datetime(record[CURSOR_FIELD]) != stamp:
                break
            ids.add(str(record["Id"]))
        return cls(stamp, frozenset(ids))

    def dropped_from(self, records: ArrowRecords) -> ArrowRecords:
        """`records` without those already handed on: their id and this stamp."""
        table = records.table
        if not self.ids or table.num_rows == 0 or "Id" not in table.column_names:
            return records
        named = pc.is_in(table.column("Id").cast(pa.string()), value_set=pa.array(sorted(self.ids), pa.string()))
        rows = np.flatnonzero(named.to_numpy(zero_copy_only=False))
        stamps = table.column(CURSOR_FIELD)
        again = [int(i) for i in rows if parse_datetime(stamps[int(i)].as_py()) == self.stamp]
        if not again:
            return records
        keep = np.ones(table.num_rows, dtype=bool)
        keep[again] = False
        return ArrowRecords(table.filter(pa.array(keep)))
