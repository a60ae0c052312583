"""Reading an object with a Bulk API 2.0 query job: create, wait, fetch the CSV results page by page.

A job costs a few calls (create, status until complete) plus one call per results page of
up to `max_records` records, where REST pays one call per 2,000: for a large read, far fewer calls
and far fewer bytes. Its results come in no particular order (Bulk API 2.0 does not run ORDER BY),
so a page does not let a cursor advance; where the read stands is the job and the next page's
locator (`BulkReadPoint`), which the caller keeps with the records it stored, so a read stopped by
the budget resumes at the next page instead of starting over. Salesforce keeps a job's results for
seven days; a job gone by then is read again from the start by the caller.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crm_pipelines.core.extraction import ArrowRecords
from crm_pipelines.crm.errors import CrmApiError, CrmTransientError
from crm_pipelines.crm.salesforce.client import SalesforceClient

# Records per results page: Salesforce sizes pages itself when not told. Each page is one call,
# and its whole text is held while it is parsed (with the pages in flight behind it): 10,000 keeps
# a read in a bounded few tens of MiB (50,000 held some 100 MiB more at the peak of a `medium`
# sync) for one call per 10,000 records, a fifth of REST's calls.
MAX_RECORDS = 10_000
# Records handed on at a time from a results page: its table is cut into slices of this many, so
# what is converted and written at once, and the pages in flight between reading and the COPY, stay
# a fraction of a page's size in memory (the calls stay one per results page).
SLICE_RECORDS = 10_000
# Seconds between status calls: short at first (small jobs finish at once), then longer.
_POLL_WAITS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
# How long a job may take before the read gives up for this run (the job stays; the next run asks again).
_JOB_WAIT_SECONDS = 30 * 60
_NO_MORE_PAGES = "null"


@dataclass(frozen=True)
class BulkReadPoint:
    """Where an unfinished Bulk read stands: its job, the locator of the next page (None: the
    first), and when the job was created in the CRM's clock (a job is a snapshot of that moment)."""

    job_id: str
    locator: str | None
    started_at: datetime

    def to_text(self) -> str:
        return json.dumps({"job": self.job_id, "locator": self.locator, "started_at": self.started_at.isoformat()})

    @classmethod
    def from_text(cls, text: str) -> BulkReadPoint:
        value = json.loads(text)
        return cls(str(value["job"]), value["locator"], pd.Timestamp(value["started_at"]).to_pydatetime())


@dataclass(frozen=True)
class BulkPage:
    records: ArrowRecords
    # None after the last page: the read is done.
    next_point: BulkReadPoint | None


def start_job(client: SalesforceClient, soql: str, *, include_deleted: bool) -> BulkReadPoint:
    """Create the query job (queryAll: deleted and merged records come flagged, as with REST)."""
    body = client.request("POST", f"{client.api_base}/jobs/query", what=f"bulk query job {soql[:200]}", json_body={
        "operation": "queryAll" if include_deleted else "query", "query": soql,
        "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF",
    })
    return BulkReadPoint(str(body["id"]), None, pd.Timestamp(body["createdDate"]).tz_convert("UTC").to_pydatetime())


def read_job(client: SalesforceClient, point: BulkReadPoint, kinds: Mapping[str, str], *,
             sleep: Callable[[float], None], max_records: int = MAX_RECORDS,
             slice_records: int = SLICE_RECORDS) -> Iterator[BulkPage]:
    """The job's result pages from `point` on, each record typed as REST would give it (`kinds`:
    field name → bool, float, int or text), each page handed on in slices of `slice_records`. A
    slice before a page's last points at its own page (a read stopped there reads that page again,
    whose rows are upserted); a page's last slice points at the next page. The job is not deleted:
    that would be one more call per object for nothing the org needs (Salesforce drops a job's
    results after seven days)."""
    if point.locator is None:
        _wait_until_complete(client, point.job_id, sleep)
    here = point
    while True:
        params = {"maxRecords": str(max_records)}
        if here.locator is not None:
            params["locator"] = here.locator
        response = client.request("GET", f"{client.api_base}/jobs/query/{point.job_id}/results", params=params,
                                  what=f"bulk query job {point.job_id} results", raw=True)
        following = response.headers.get("Sforce-Locator") or _NO_MORE_PAGES
        records = typed_records(response.content, kinds)
        del response  # the page's text is not held while its slices are written
        after = None if following == _NO_MORE_PAGES else BulkReadPoint(point.job_id, following, point.started_at)
        yield from _slices(records, slice_records, here, after)
        if after is None:
            return
        here = after


def _slices(records: ArrowRecords, size: int, here: BulkReadPoint, after: BulkReadPoint | None) -> Iterator[BulkPage]:
    """The page's records `size` at a time (zero-copy slices of its table); the last carries `after`."""
    total = len(records)
    for start in range(0, max(total, 1), max(size, 1)):
        last = start + size >= total
        part = records if start == 0 and last else ArrowRecords(records.table.slice(start, size))
        yield BulkPage(part, after if last else here)


def _wait_until_complete(client: SalesforceClient, job_id: str, sleep: Callable[[float], None]) -> None:
    waited = 0.0
    for turn in range(10_000):
        info = client.request("GET", f"{client.api_base}/jobs/query/{job_id}", what=f"bulk query job {job_id} status")
        state = info.get("state")
        if state == "JobComplete":
            return
        if state in ("Failed", "Aborted"):
            raise CrmApiError(client.tenant_id, 200, f"BULK_JOB_{str(state).upper()}",
                              str(info.get("errorMessage") or f"the job is {state}"), f"bulk query job {job_id}")
        if waited >= _JOB_WAIT_SECONDS:
            break
        pause = _POLL_WAITS[min(turn, len(_POLL_WAITS) - 1)]
        sleep(pause)
        waited += pause
    raise CrmTransientError(client.tenant_id, f"bulk query job {job_id} still running after {waited:.0f} s")


def typed_records(csv_bytes: bytes, kinds: Mapping[str, str]) -> ArrowRecords:
    """CSV results as records with the value types of a REST answer: `true`/`false` → bool,
    numbers → float, the rest text; an empty value → None. Columns the CSV has and `kinds` does not
    name stay text. Kept as one Arrow table (`ArrowRecords`): the page's conversion takes its
    columns as they are, with no Python object per value."""
    if not csv_bytes.strip():
        return ArrowRecords(pa.table({}))
    table = pa_csv.read_csv(
        io.BytesIO(csv_bytes),
        # Every named column read as text, then typed here: Arrow's own inference would turn
        # datetimes into timestamps that no longer read as the CRM wrote them.
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in kinds},
                                              strings_can_be_null=True, null_values=[""],
                                              quoted_strings_can_be_null=True),
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 26),
    )
    columns = []
    for name in table.column_names:
        column = table.column(name)
        column = column.cast(pa.string()) if column.type != pa.string() else column
        kind = kinds.get(name, "text")
        if kind == "bool":
            column = pc.equal(column, "true")
        elif kind in ("float", "int"):
            column = column.cast(pa.float64())
        columns.append(column)
    return ArrowRecords(pa.table(columns, names=table.column_names))


def field_kinds(catalogue_kinds: Mapping[str, str], described: Sequence[Mapping[str, Any]],
                extra_fields: Sequence[str]) -> dict[str, str]:
    """The value kind of every field a read selects: the catalogue's own fields by their kind, the
    extra (mapped) fields by the type describe gives them."""
    by_name = {str(f["name"]).lower(): str(f.get("type", "string")) for f in described}
    kinds = {name: _KIND_OF_KIND.get(kind, "text") for name, kind in catalogue_kinds.items()}
    for name in extra_fields:
        kinds[name] = _KIND_OF_TYPE.get(by_name.get(name.lower(), "string"), "text")
    return kinds


_KIND_OF_KIND = {"bool": "bool", "float": "float", "int": "int"}
_KIND_OF_TYPE = {"boolean": "bool", "double": "float", "currency": "float", "percent": "float", "int": "int"}
