"""The extraction through Bulk API 2.0 (issue 18): above `sync.bulk_above_records` a read goes on
as a Bulk job after its first REST page, with the warehouse equal to the org's own records, the
budget charged for every call of the job, and a read stopped by the budget going on from the job's
next page in a later run — without moving the cursor past a record it has not stored yet."""

from __future__ import annotations

import pandas as pd
from dagster import DagsterInstance

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.crm_records import read_cursor
from crm_pipelines.store.deferrals import DeferralStore
from tests.sim_tenants import assert_warehouse_equals_sim, metadata_by_asset, register_sim_tenant, sync, warehouse_rows

DAY = 24 * 3600 + 120


def _jobs_created(org) -> int:
    return sum(1 for r in org.requests() if r.endpoint == "jobs.query.create")


def test_a_large_first_sync_reads_through_bulk_and_the_warehouse_equals_the_org(db):
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        register_sim_tenant(db, sim, "acme", **{"sync.bulk_above_records": "3000"})
        org = sim.org("acme")
        result = sync(db, "acme", resources={"crm": CrmClientResource(bulk_page_records=2500)},
                      selection={"crm_contacts", "crm_users"})
        assert result.success
        md = metadata_by_asset(result)
        assert md["crm_contacts"]["read_with"] == "bulk"  # 6,000 Contacts: above the threshold
        assert md["crm_users"]["read_with"] == "REST"  # a few dozen Users: below it
        assert _jobs_created(org) == 1
        assert_warehouse_equals_sim(db, "acme", org, objects=[BY_NAME["Contact"], BY_NAME["User"]])
        assert read_cursor(db, "acme", "Contact").in_progress is None


def test_a_bulk_read_cut_short_by_the_budget_goes_on_from_its_next_page_and_misses_nothing(db):
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        org = sim.org("acme")
        # Login, /limits, describe, the REST page, job create, status (2 or 3), then results pages of
        # 700: a budget of 11 runs out inside the job.
        register_sim_tenant(db, sim, "acme", **{"sync.bulk_above_records": "3000", "api_budget.daily_limit": "11"})
        crm = {"crm": CrmClientResource(bulk_page_records=700)}
        instance = DagsterInstance.ephemeral()

        first = sync(db, "acme", instance, resources=crm, selection={"crm_contacts"})
        assert first.success
        assert metadata_by_asset(first)["crm_contacts"]["deferred"] is True
        state = read_cursor(db, "acme", "Contact")
        stored = warehouse_rows(db, "acme", BY_NAME["Contact"])
        assert state.in_progress is not None and len(stored) > 2000  # the REST page and some of the job's
        # The cursor stays at the REST page: the job's pages come in no order, and a record it has
        # not delivered yet may be older than all it delivered.
        rest_page_latest = max(row["system_modstamp"] for row in _oldest(stored, 2000))
        assert state.cursor is not None and pd.Timestamp(state.cursor.modstamp) <= pd.Timestamp(rest_page_latest)

        # A CRM user edits a Contact the first run stored (the oldest: in the REST page) while
        # the read is unfinished: the next incremental sync after the job must bring the edit.
        edited = _oldest(stored, 1)[0]["id"]
        org.edit("Contact", edited, {"Title": "Chief Bulk Officer"})

        offset = DAY
        while DeferralStore(db).open("acme"):
            again = sync(db, "acme", instance, resources=crm, selection={"crm_contacts"}, clock_offset_seconds=offset)
            assert again.success
            offset += DAY
            assert offset < 10 * DAY, "resumed reads must make progress"
        assert _jobs_created(org) == 1  # the same job, page after page: nothing read twice
        assert read_cursor(db, "acme", "Contact").in_progress is None
        incremental = sync(db, "acme", instance, resources=crm, selection={"crm_contacts"}, clock_offset_seconds=offset)
        assert metadata_by_asset(incremental)["crm_contacts"]["mode"] == "incremental"
        assert warehouse_rows(db, "acme", BY_NAME["Contact"])[edited]["title"] == "Chief Bulk Officer"
        assert_warehouse_equals_sim(db, "acme", org, objects=[BY_NAME["Contact"]])


def _oldest(rows: dict, count: int) -> list[dict]:
    return sorted(rows.values(), key=lambda row: (row["system_modstamp"], row["id"]))[:count]
