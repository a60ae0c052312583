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
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crm_pipelines.core.extraction import ArrowRecords
from crm_pipelines.crm.errors import CrmApiError, CrmTransientError
from crm_pipelines.crm.http_calls import TRANSPORT_FAILURES
from crm_pipelines.crm.salesforce.client import SalesforceClient

# Records per results page: Salesforce sizes pages itself when not told. Each page is one call, and
# is streamed (parsed a block at a time as it arrives, handed on in slices), so what a read holds
# does not grow with it: pages of 50,000 peaked as pages of 10,000 did in a `medium` sync (when a
# page was held whole, 50,000 cost some 100 MiB more) for a fifth of their calls, a 25th of REST's.
MAX_RECORDS = 50_000
# Records handed on at a time from a results page: its table is cut into slices of this many, so
# what is converted and written at once, and the pages in flight between reading and the COPY, stay
# a fraction of a page's size in memory (the calls stay one per results page).
SLICE_RECORDS = 10_000
# A results page is read from the wire and parsed this many bytes (of CSV) at a time: what of its
# text is ever held at once.
BLOCK_BYTES = 1 << 20
# Seconds between status calls: short at first, then longer. A job of a few thousand records is
# done within a fraction of a second of its create (the simulator's after one or two status calls),
# and the read's first page waits on it, so the first waits are 50 and 100 ms (they were 200 and
# 500 ms: some 0.5 s per job slept for nothing); a job that takes minutes pays two status calls
# more than it did, then the same schedule.
_POLL_WAITS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
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
    field name → bool, float, int or text), each page streamed: parsed as it arrives and handed on
    in slices of `slice_records`, so neither a page's text nor its whole table is held. A slice
    before a page's last points at its own page (a read stopped there reads that page again, whose
    rows are upserted); a page's last slice points at the next page. The job is not deleted: that
    would be one more call per object for nothing the org needs (Salesforce drops a job's results
    after seven days)."""
    if point.locator is None:
        _wait_until_complete(client, point.job_id, sleep)
    here: BulkReadPoint | None = point
    while here is not None:
        here = yield from _read_page(client, here, kinds, sleep, max_records, slice_records)


def _read_page(client: SalesforceClient, here: BulkReadPoint, kinds: Mapping[str, str],
               sleep: Callable[[float], None], max_records: int,
               slice_records: int) -> Generator[BulkPage, None, BulkReadPoint | None]:
    """One results page, streamed; returns where the read goes on (None: the job's last page). A
    download cut short (the connection lost, a body shorter than the page's record count) is asked
    again at the same locator, whose records come again in the same order (a job's results are a
    file written once): the records already handed on are skipped, so none is lost or doubled."""
    handed = 0
    for attempt in range(1, client.policy.max_attempts + 1):
        response = _results_response(client, here, max_records)
        following = response.headers.get("Sforce-Locator") or _NO_MORE_PAGES
        after = None if following == _NO_MORE_PAGES else BulkReadPoint(here.job_id, following, here.started_at)
        last: ArrowRecords | None = None
        try:
            for part in _streamed_slices(response, kinds, slice_records, skip=handed):
                if last is not None:
                    yield BulkPage(last, here)
                    handed += len(last)
                last = part
        except (*TRANSPORT_FAILURES, _CutShort) as cut:
            if attempt == client.policy.max_attempts:
                raise CrmTransientError(client.tenant_id, f"bulk query job {here.job_id} results: {cut}") from None
            sleep(min(client.policy.initial_backoff * 2 ** (attempt - 1), client.policy.max_backoff))
            continue
        finally:
            response.close()
        yield BulkPage(last if last is not None else ArrowRecords(pa.table({})), after)
        return after
    raise AssertionError("unreachable: the last attempt returns or raises")


def _results_response(client: SalesforceClient, here: BulkReadPoint, max_records: int) -> Any:
    params = {"maxRecords": str(max_records)}
    if here.locator is not None:
        params["locator"] = here.locator
    return client.request("GET", f"{client.api_base}/jobs/query/{here.job_id}/results", params=params,
                          what=f"bulk query job {here.job_id} results", raw=True)


class _CutShort(Exception):
    """A results page whose body ended before its last record (fewer records than the page
    announced, or a last line with no line ending)."""


def _streamed_slices(response: Any, kinds: Mapping[str, str], size: int, *, skip: int) -> Iterator[ArrowRecords]:
    """The page's records, typed, `size` at a time as they are parsed from the response's body,
    leaving out its first `skip` (handed on before a download was cut short); at the body's end, a
    check that it was whole."""
    expected = response.headers.get("Sforce-NumberOfRecords")
    seen = held_rows = 0
    held: list[pa.Table] = []
    sliced = False
    for table in _csv_tables(response.iter_content(chunk_size=BLOCK_BYTES), kinds):
        seen += table.num_rows
        if skip:
            dropped = min(skip, table.num_rows)
            table, skip = table.slice(dropped), skip - dropped
        held.append(table)
        held_rows += table.num_rows
        while held_rows >= size:
            joined = pa.concat_tables(held)
            yield ArrowRecords(joined.slice(0, size))
            held, held_rows, sliced = [joined.slice(size)], held_rows - size, True
    if expected is not None and expected.isdigit() and seen != int(expected):
        raise _CutShort(f"{seen} records of the page's {expected}")
    if held_rows or not sliced:  # a page with no records is one empty slice
        yield ArrowRecords(pa.concat_tables(held))


def _csv_tables(chunks: Iterator[bytes], kinds: Mapping[str, str]) -> Iterator[pa.Table]:
    """The CSV body's records, typed, a block of whole records at a time, parsed here as each block
    arrives (Arrow's own streaming reader would read the whole body ahead in a thread of its own);
    at least one table (with no rows for a page with none)."""
    header: bytes | None = None
    rest = b""
    parsed = False
    for chunk in chunks:
        text = rest + chunk
        end = _end_of_records(text)
        if end == 0:
            rest = text
            continue
        block, rest = text[:end], text[end:]
        if header is None:
            first_line = block.index(b"\n") + 1
            header, block = block[:first_line], block[first_line:]
        if block:
            parsed = True
            yield _typed_table(header + block, kinds)
    if rest:
        raise _CutShort("the body ends inside a record")
    if not parsed:
        yield _typed_table(header, kinds) if header is not None else pa.table({})


def _end_of_records(text: bytes) -> int:
    """Where the last whole record of `text` ends (after its line ending); 0 when none does. A line
    ending inside a quoted value (an odd number of quotes before it) ends no record."""
    end = text.rfind(b"\n")
    while end >= 0 and text.count(b'"', 0, end) % 2:
        end = text.rfind(b"\n", 0, end)
    return end + 1


def _typed_table(csv_bytes: bytes, kinds: Mapping[str, str]) -> pa.Table:
    """CSV records with the value types of a REST answer: `true`/`false` → bool, numbers → float,
    the rest text; an empty value → None. Columns the CSV has and `kinds` does not name stay text.
    Kept as one Arrow table: the page's conversion takes its columns as they are, with no Python
    object per value."""
    table = pa_csv.read_csv(
        io.BytesIO(csv_bytes),
        # Every named column read as text, then typed here: Arrow's own inference would turn
        # datetimes into timestamps that no longer read as the CRM wrote them.
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in kinds},
                                              strings_can_be_null=True, null_values=[""],
                                              quoted_strings_can_be_null=True),
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=len(csv_bytes) + 1),
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
    return pa.table(columns, names=table.column_names)


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
