"""Large reads through Bulk API 2.0 behind the port, against the simulator over HTTP: the same
records as REST with the same value types, a few calls plus one per results page, resumable at
the next page, and REST below the threshold."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.core.extraction import convert_page
from crm_pipelines.crm.salesforce.adapter import SalesforceCrm
from crm_pipelines.sim.server import run_simulator
from tests.crm.test_port import port_of

LEAD = BY_NAME["Lead"]


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="small", seed=5) as served:
        yield served


def bulk_port(sim, *, above: int, page: int = 50_000) -> SalesforceCrm:
    crm = port_of(sim)
    assert isinstance(crm, SalesforceCrm)
    crm.bulk_above_records, crm.bulk_page_records = above, page
    crm._sleep = lambda seconds: None  # the simulator's jobs finish after a status call or two
    return crm


def rows_of(pages) -> pd.DataFrame:
    frames = [convert_page(page.records, LEAD).rows for page in pages]
    return pd.concat(frames).sort_values("id").reset_index(drop=True)


def test_a_first_read_above_the_threshold_goes_through_bulk_and_holds_what_rest_holds(sim):
    rest = list(bulk_port(sim, above=10**9).read_changed(LEAD, [], None, page_size=200))
    assert all(page.ordered for page in rest)

    crm = bulk_port(sim, above=10, page=1500)
    pages = list(crm.read_changed(LEAD, [], None))
    assert pages and not any(page.ordered for page in pages)
    assert [page.resume_from is None for page in pages] == [False] * (len(pages) - 1) + [True]
    assert all(isinstance(page.read_started_at, datetime) for page in pages)
    bulk_rows, rest_rows = rows_of(pages), rows_of(rest)
    # Same records, same typed values (booleans, numbers, datetimes) whichever way they came.
    assert bulk_rows.drop(columns=["mapped_fields"]).equals(rest_rows.drop(columns=["mapped_fields"]))
    assert len(pages) > 1
    # Record counts (1, for every object), job create (1), status until complete (2 or 3 here), a call a page.
    assert crm.calls_sent - 1 <= 1 + 1 + 3 + len(pages)  # minus the login


def test_a_bulk_read_stopped_after_a_page_goes_on_from_the_next_page_of_the_same_job(sim):
    whole = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    crm = bulk_port(sim, above=10, page=1500)
    first = next(iter(crm.read_changed(LEAD, [], None)))
    assert first.resume_from is not None

    resumed = bulk_port(sim, above=10, page=1500)
    rest_of_it = list(resumed.read_changed(LEAD, [], None, resume_from=first.resume_from))
    ids = [r["Id"] for page in [first, *rest_of_it] for r in page.records]
    assert sorted(ids) == sorted(r["Id"] for page in whole for r in page.records)
    assert len(ids) == len(set(ids))  # nothing read twice
    assert resumed.calls_sent - 1 == len(rest_of_it)  # the pages alone: no new job, no status call


def test_a_read_whose_job_the_crm_no_longer_holds_starts_over_from_the_cursor(sim):
    crm = bulk_port(sim, above=10, page=1500)
    first = next(iter(crm.read_changed(LEAD, [], None)))
    job = first.resume_from
    gone = job.replace(job.split('"job": "')[1].split('"')[0], "750000000000000AAA")
    again = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None, resume_from=gone))
    whole = list(bulk_port(sim, above=10, page=1500).read_changed(LEAD, [], None))
    assert sorted(r["Id"] for page in again for r in page.records) == sorted(r["Id"] for page in whole for r in page.records)


def test_an_incremental_read_stays_rest_below_the_threshold_and_goes_bulk_above_it(sim):
    every = [r for page in bulk_port(sim, above=10**9).read_changed(LEAD, [], None) for r in page.records]
    stamps = sorted(r["SystemModstamp"] for r in every)
    late = stamps[-1500]  # a read of 1,500 records or so: one REST page of 2,000, or 8 of 200
    since = datetime.fromisoformat(late.replace("+0000", "+00:00"))
    expected = {r["Id"] for r in every if r["SystemModstamp"] >= late}

    small = bulk_port(sim, above=len(expected) + 1)
    pages = list(small.read_changed(LEAD, [], since, page_size=200))
    assert all(page.ordered for page in pages)
    assert {r["Id"] for page in pages for r in page.records} == expected

    # A read that fits in its first REST page is done by then, whatever its size.
    one_page = bulk_port(sim, above=len(expected) - 1)
    pages = list(one_page.read_changed(LEAD, [], since, page_size=2000))
    assert len(pages) == 1 and pages[0].ordered

    large = bulk_port(sim, above=len(expected) - 1)
    pages = list(large.read_changed(LEAD, [], since, page_size=200))
    assert not any(page.ordered for page in pages)
    assert {r["Id"] for page in pages for r in page.records} == expected
