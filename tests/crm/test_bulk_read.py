"""Large reads through Bulk API 2.0 behind the port, against the simulator over HTTP: the first
REST page sizes the read, a Bulk job reads the rest with the same records and value types as REST,
in a few calls plus one per results page, resumable at its next page; REST below the threshold."""

from __future__ import annotations

import gc
import json
import weakref
import math
from datetime import datetime

import pandas as pd
import pytest

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.extraction import convert_page
from crm_pipelines.crm.salesforce import bulk_query
from crm_pipelines.crm.salesforce.adapter import SalesforceCrm
from crm_pipelines.sim.server import run_simulator
from tests.crm.test_port import port_of

LEAD = BY_NAME["Lead"]


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="small", seed=5) as served:
        yield served


def bulk_port(sim, *, above: int, page: int = 50_000, slice_records: int = 50_000) -> SalesforceCrm:
    crm = port_of(sim)
    assert isinstance(crm, SalesforceCrm)
    crm.bulk_above_records, crm.bulk_page_records, crm.bulk_slice_records = above, page, slice_records
    crm._sleep = lambda seconds: None  # the simulator's jobs finish after a status call or two
    return crm


def rows_of(pages) -> pd.DataFrame:
    """The warehouse rows of a read; a record read twice (on the boundary of the first page and
    the job) is one row, as the warehouse's upsert makes it."""
    frames = [convert_page(page.records, LEAD).rows for page in pages]
    rows = pd.concat(frames).drop(columns=["mapped_fields"]).drop_duplicates("id", keep="last")
    return rows.sort_values("id").reset_index(drop=True)


def ids(pages) -> list[str]:
    return [r["Id"] for page in pages for r in page.records]


def test_a_read_above_the_threshold_goes_on_through_bulk_and_holds_what_rest_holds(sim):
    rest = list(bulk_port(sim, above=10**9).read_changed(LEAD, [], None, page_size=2000))
    assert all(page.ordered for page in rest) and len(rest) > 1

    crm = bulk_port(sim, above=10, page=1500)
    pages = list(crm.read_changed(LEAD, [], None))
    # The first REST page sizes the read and is kept; the job's pages come in no order.
    assert pages[0].ordered and not any(page.ordered for page in pages[1:])
    assert [page.resume_from is None for page in pages[1:]] == [False] * (len(pages) - 2) + [True]
    assert all(isinstance(page.read_started_at, datetime) for page in pages[1:])
    # Same records, same typed values (booleans, numbers, datetimes) whichever way they came.
    assert rows_of(pages).equals(rows_of(rest))
    # Login, the REST page, job create, status until complete (2 or 3 here), a call per results page.
    assert crm.calls_sent <= 1 + 1 + 1 + 3 + (len(pages) - 1)


def test_a_bulk_jobs_status_is_asked_again_after_waits_that_start_at_50_ms_and_grow(sim):
    org = sim.org("acme")
    before = len(org.requests())
    crm = bulk_port(sim, above=10, page=1500)
    waits: list[float] = []
    crm._sleep = waits.append
    list(crm.read_changed(LEAD, [], None))
    status_calls = sum(1 for r in org.requests()[before:] if r.endpoint == "jobs.query.get")
    # The simulator's job runs for one or two status calls: a wait after each that found it running.
    assert waits in ([0.05], [0.05, 0.1]) and len(waits) == status_calls - 1


def test_a_bulk_read_stopped_after_a_page_goes_on_from_the_next_page_of_the_same_job(sim):
    whole = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    reading = iter(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    kept = [next(reading), next(reading)]
    assert kept[1].resume_from is not None

    resumed = bulk_port(sim, above=10, page=1500)
    rest_of_it = list(resumed.read_changed(LEAD, [], None, resume_from=kept[1].resume_from))
    assert sorted(set(ids(kept + rest_of_it))) == sorted(set(ids(whole)))
    assert len(ids(kept[1:] + rest_of_it)) == len(set(ids(kept[1:] + rest_of_it)))  # no job page read twice
    assert resumed.calls_sent - 1 == len(rest_of_it)  # the pages alone: no new job, no status call


def test_a_results_page_is_handed_on_in_slices_with_the_same_records_and_calls(sim):
    org = sim.org("acme")
    before = _results_calls(org)
    pages = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    between = _results_calls(org)
    slices = list(bulk_port(sim, above=10, page=1500, slice_records=400).read_changed(LEAD, [], None))
    assert max(len(page.records) for page in slices[1:]) == 400 < max(len(page.records) for page in pages[1:])
    assert rows_of(slices).equals(rows_of(pages))
    # Slicing costs no call: one per results page still.
    assert _results_calls(org) - between == between - before == len(pages) - 1
    # A slice before its page's last points at its own page (the job's first: no locator yet), the
    # page's last at the next page, as the unsliced read's page does; the job's last ends the read.
    expected, here = [], None
    for page in pages[1:]:
        expected += [here] * (math.ceil(len(page.records) / 400) - 1) + [_locator(page)]
        here = _locator(page)
    assert [_locator(page) for page in slices[1:]] == expected and expected[-1] == "done"


def _locator(page) -> str | None:
    return json.loads(page.resume_from)["locator"] if page.resume_from is not None else "done"


def _results_calls(org) -> int:
    return sum(1 for r in org.requests() if r.endpoint == "jobs.query.results")


def test_a_read_stopped_inside_a_page_reads_that_page_again_and_misses_nothing(sim):
    whole = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    reading = iter(bulk_port(sim, above=10, page=1500, slice_records=400).read_changed(LEAD, [], None))
    kept = [next(reading) for _ in range(6)]  # the REST page, then the job's first page (4 slices) and one more
    stopped_at = kept[-1].resume_from
    assert stopped_at is not None and stopped_at == kept[-2].resume_from  # inside the job's second page

    resumed = bulk_port(sim, above=10, page=1500, slice_records=400)
    rest_of_it = list(resumed.read_changed(LEAD, [], None, resume_from=stopped_at))
    assert sorted(set(ids(kept + rest_of_it))) == sorted(set(ids(whole)))
    assert set(ids(kept[-1:])) <= set(ids(rest_of_it))  # the slice read before the stop comes again
    assert resumed.calls_sent - 1 == len(whole) - 2  # the job's pages from its second on: no new job


@pytest.mark.parametrize("fault", ["cut", "truncate"])
def test_a_results_page_cut_short_is_asked_again_at_its_locator_with_no_record_lost_or_doubled(sim, monkeypatch, fault):
    # Blocks of 16 KiB: a page of 1,500 Leads arrives in some thirty, so slices of 50 are handed
    # on before the cut (the connection lost halfway; or a body half as long as it should be).
    monkeypatch.setattr(bulk_query, "BLOCK_BYTES", 16_384)
    whole = list(bulk_port(sim, above=10, page=1500, slice_records=50).read_changed(LEAD, [], None))
    org = sim.org("acme")
    before = len(org.requests())
    reading = bulk_port(sim, above=10, page=1500, slice_records=50).read_changed(LEAD, [], None)
    pages = [next(reading), next(reading)]  # the REST page and the job's first slice: its first page is on the wire
    sim.set_faults(f"{fault}x1", org="acme")  # the next call, the job's second page, is cut short
    pages += list(reading)
    results = [r for r in org.requests()[before:] if r.endpoint == "jobs.query.results"]
    assert [r.faults for r in results].count((f"{fault}x1",)) == 1
    # The same slices, records and resume points as the read that met no fault: nothing of the
    # page handed on before the cut comes again, nothing after it is missed.
    assert [ids([page]) for page in pages] == [ids([page]) for page in whole]
    assert [_locator(page) for page in pages] == [_locator(page) for page in whole]
    job_pages = len({_locator(page) for page in whole[1:]}) - 1  # the points: each page's own, and "done"
    assert len(results) == job_pages + 1  # the cut page asked once more


def test_a_value_with_line_breaks_split_between_two_blocks_stays_one_value():
    body = b'"Id","Description","Score"\n"1","one line",2\n"2","two\nlines, ""quoted""",3\n"3","",\n'
    cut = body.index(b"lines")
    tables = list(bulk_query._csv_tables(iter([body[:cut], body[cut:]]), {"Id": "text", "Description": "text",
                                                                        "Score": "float"}))
    assert [t.num_rows for t in tables] == [1, 2]  # the first block ends after the one whole record
    rows = [row for t in tables for row in t.to_pylist()]
    assert rows == [{"Id": "1", "Description": "one line", "Score": 2.0},
                    {"Id": "2", "Description": 'two\nlines, "quoted"', "Score": 3.0},
                    {"Id": "3", "Description": None, "Score": None}]


def test_a_read_whose_job_the_crm_no_longer_holds_starts_over_from_the_cursor(sim):
    reading = iter(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    next(reading)
    point = next(reading).resume_from
    gone = point.replace(point.split('"job": "')[1].split('"')[0], "750000000000000AAA")
    again = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None, resume_from=gone))
    whole = list(bulk_port(sim, above=10**9).read_changed(LEAD, [], None))
    assert sorted(set(ids(again))) == sorted(ids(whole))


def test_an_incremental_read_stays_rest_below_the_threshold_and_goes_bulk_above_it(sim):
    every = [r for page in bulk_port(sim, above=10**9).read_changed(LEAD, [], None) for r in page.records]
    stamps = sorted(r["SystemModstamp"] for r in every)
    late = stamps[-1500]  # a read of 1,500 records or so: one REST page of 2,000, or 8 of 200
    since = datetime.fromisoformat(late.replace("+0000", "+00:00"))
    expected = {r["Id"] for r in every if r["SystemModstamp"] >= late}

    small = bulk_port(sim, above=len(expected) + 1)
    pages = list(small.read_changed(LEAD, [], since, page_size=200))
    assert all(page.ordered for page in pages)
    assert set(ids(pages)) == expected

    # A read that fits in its first REST page is done by then, whatever its size.
    one_page = bulk_port(sim, above=len(expected) - 1)
    pages = list(one_page.read_changed(LEAD, [], since, page_size=2000))
    assert len(pages) == 1 and pages[0].ordered

    large = bulk_port(sim, above=len(expected) - 1)
    pages = list(large.read_changed(LEAD, [], since, page_size=200))
    assert pages[0].ordered and not any(page.ordered for page in pages[1:])
    assert set(ids(pages)) == expected


def test_the_rest_page_that_sized_a_bulk_read_is_let_go_before_the_jobs_pages_are_read(sim):
    """The first REST page (2,000 records as parsed JSON, some 5 MiB at `medium`) is handed on and
    stored like any other; the read must not keep it while the job's pages stream in."""
    reading = iter(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    first = weakref.ref(next(reading))
    bulk_page = next(reading)
    gc.collect()
    assert not bulk_page.ordered and first() is None
