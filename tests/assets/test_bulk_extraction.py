"""The extraction through Bulk API 2.0 (issue 18): above `sync.bulk_above_records` a read goes on
as a Bulk job after its first REST page, with the warehouse equal to the org's own records, the
budget charged for every call of the job, and a read stopped by the budget going on from the job's
next page in a later run — without moving the cursor past a record it has not stored yet."""

from __future__ import annotations

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID, BY_NAME, CRM_OBJECTS
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.crm_records import read_cursor, read_records
from crm_pipelines.store.deferrals import DeferralStore
from tests.sim_tenants import (
    assert_warehouse_equals_sim, metadata_by_asset, register_sim_tenant, sim_rows, sync, warehouse_rows,
)

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


def test_the_bulk_job_reads_no_record_the_first_rest_page_delivered(db):
    """The job reads from the first REST page's last stamp on, and drops the records that page
    already handed on at that stamp: a record read twice made the first slice's straight COPY fail
    and go again through staging."""
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        register_sim_tenant(db, sim, "acme", **{"sync.bulk_above_records": "3000"})
        org = sim.org("acme")
        result = sync(db, "acme", resources={"crm": CrmClientResource(bulk_page_records=2500)},
                      selection={"crm_contacts"})
        assert result.success
        md = metadata_by_asset(result)["crm_contacts"]
        assert md["read_with"] == "bulk"
        assert md["records_read"] == len(sim_rows(org, BY_NAME["Contact"]))
        assert_warehouse_equals_sim(db, "acme", org, objects=[BY_NAME["Contact"]])


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


def test_a_bulk_read_written_in_slices_of_its_pages_lands_the_same_and_resumes_the_same(db):
    """Results pages of 1,500 handed on 600 records at a time: the warehouse equals the org, and a
    read the budget stops goes on from the page after its last whole page, with the same job."""
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        org = sim.org("acme")
        register_sim_tenant(db, sim, "acme", **{"sync.bulk_above_records": "3000", "api_budget.daily_limit": "9"})
        crm = {"crm": CrmClientResource(bulk_page_records=1500, bulk_slice_records=600)}
        instance = DagsterInstance.ephemeral()
        first = sync(db, "acme", instance, resources=crm, selection={"crm_contacts"})
        assert metadata_by_asset(first)["crm_contacts"]["deferred"] is True
        assert read_cursor(db, "acme", "Contact").in_progress is not None
        offset = DAY
        while DeferralStore(db).open("acme"):
            assert sync(db, "acme", instance, resources=crm, selection={"crm_contacts"},
                        clock_offset_seconds=offset).success
            offset += DAY
            assert offset < 10 * DAY, "resumed reads must make progress"
        assert _jobs_created(org) == 1
        assert read_cursor(db, "acme", "Contact").in_progress is None
        assert_warehouse_equals_sim(db, "acme", org, objects=[BY_NAME["Contact"]])


def _oldest(rows: dict, count: int) -> list[dict]:
    return sorted(rows.values(), key=lambda row: (row["system_modstamp"], row["id"]))[:count]


_KIND_TYPES = {"id": str, "string": str, "bool": bool, "float": float, "int": int, "datetime": str, "date": str}


@pytest.mark.both_backends
def test_every_object_read_through_bulk_lands_with_the_org_values_and_their_types(db):
    """Every object whose read outgrows its first REST page goes on through the Bulk job's CSV,
    parsed into typed columns and written by COPY (PostgreSQL) or executemany (SQLite); the others
    come by REST. Each stored value is the org's own, of its field's type, and the external ids
    the app set land in mapped_fields."""
    with run_simulator(orgs=("acme",), scale="small", seed=5) as sim:
        org = sim.org("acme")
        register_sim_tenant(db, sim, "acme", **{"sync.bulk_above_records": "0"})
        external = {}
        for name in ("Contact", "Lead", "Campaign"):
            for i, record_id in enumerate(org.rows(name)["Id"].tolist()[:3]):
                external[(name, record_id)] = f"app-{name}-{i}, \"quoted\"\\ é"
                org.edit(name, record_id, {"App_External_Id__c": external[(name, record_id)]})
        result = sync(db, "acme", resources={"crm": CrmClientResource(bulk_page_records=1500)},
                      selection={obj.asset for obj in CRM_OBJECTS})
        assert result.success
        md = metadata_by_asset(result)
        for obj in CRM_OBJECTS:
            assert md[obj.asset]["read_with"] == ("bulk" if md[obj.asset]["records_read"] > 2000 else "REST")
        assert md["crm_contacts"]["read_with"] == md["crm_leads"]["read_with"] == "bulk"
        assert_warehouse_equals_sim(db, "acme", org)
        for obj in CRM_OBJECTS:
            stored = warehouse_rows(db, "acme", obj)
            assert stored, obj.name
            for row in stored.values():
                for f in obj.fields:
                    value = row[f.column]
                    assert value is None or type(value) is _KIND_TYPES[f.kind], (obj.name, f.column, value)
            _assert_mapped_fields_are_the_orgs(db, org, obj)
        for (name, record_id), value in external.items():
            stored = read_records(db, BY_NAME[name], "acme").set_index("id")["mapped_fields"]
            assert stored[record_id][APP_EXTERNAL_ID] == value


def _assert_mapped_fields_are_the_orgs(db, org, obj) -> None:
    stored = read_records(db, obj, "acme").set_index("id")["mapped_fields"]
    sim = org.rows(obj.name, include_deleted=True).set_index("Id")
    for record_id, fields in stored.items():
        if fields is None:
            continue
        for name, value in fields.items():
            expected = sim.at[record_id, name] if name in sim.columns else None
            expected = None if expected is None or pd.isna(expected) else getattr(expected, "item", lambda: expected)()
            assert value == expected and type(value) is type(expected), (obj.name, record_id, name, value, expected)
