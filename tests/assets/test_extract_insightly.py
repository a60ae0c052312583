"""An Insightly tenant through the extraction assets (issue 19): the crm_extract group
materialized through Dagster against the simulator's Insightly org over HTTP, the warehouse
checked against the org's own records."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_pipelines.core.crm_objects import BY_NAME, CRM_OBJECTS, ExtractedObject
from crm_pipelines.crm.insightly.objects import OBJECTS
from crm_pipelines.sim.insightly.integer_ids import integer_id
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.crm_records import read_cursor
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import _plain, metadata_by_asset, register_insightly_tenant, sync, warehouse_rows

ORG = "hooli"
EXTRACT = {obj.asset for obj in CRM_OBJECTS}
READ = [BY_NAME[name] for name in ("User", "Account", "Contact", "Lead", "Opportunity")]


@pytest.fixture
def sim():
    with run_simulator(orgs=(f"{ORG}:insightly",), scale="tiny", seed=3) as served:
        served.second_rate(ORG).per_second = 1_000_000
        yield served


def _number(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(integer_id(str(value)))


def expected_rows(org, obj: ExtractedObject) -> dict[str, dict]:
    """The org's live records as an Insightly client sees them, in the warehouse's columns: its
    integer ids, times to the second, and nothing of the fields Insightly does not have."""
    served = {"Id", *OBJECTS[obj.name].fields, *OBJECTS[obj.name].derived}
    out = {}
    for row in org.rows(obj.name, include_deleted=False).to_dict("records"):
        values = {}
        for field in obj.fields:
            value = row.get("SystemModstamp" if field.name == "LastModifiedDate" else field.name)
            if field.name not in served or value is None or (not isinstance(value, str) and pd.isna(value)):
                value = None
            elif field.kind == "id":
                value = _number(value)
            elif field.kind == "datetime":
                value = pd.Timestamp(value).tz_convert("UTC").floor("s")
            elif field.kind == "date":
                value = pd.Timestamp(value).normalize()
            if field.name == "Username":
                value = row["Email"]
            if field.name == "Name" and "Name" in OBJECTS[obj.name].derived:
                value = " ".join(p for p in (row["FirstName"], row["LastName"]) if p) or None
            values[field.column] = _plain(value)
        values["is_deleted"] = False
        out[_number(row["Id"])] = values
    return out


def assert_warehouse_equals_insightly(db, org) -> None:
    for obj in READ:
        expected, actual = expected_rows(org, obj), warehouse_rows(db, ORG, obj)
        live = {i: r for i, r in actual.items() if not r["is_deleted"]}
        assert live.keys() == expected.keys(), f"{obj.name}: {sorted(expected.keys() ^ live.keys())[:5]}"
        for record_id, fields in expected.items():
            assert live[record_id] == fields, f"{obj.name} {record_id}: {live[record_id]} != {fields}"
    roles = org.rows("OpportunityContactRole", include_deleted=False)
    expected_roles = {(_number(o), _number(c), None if pd.isna(r) else r)
                      for o, c, r in zip(roles["OpportunityId"], roles["ContactId"], roles["Role"], strict=True)}
    stored = warehouse_rows(db, ORG, BY_NAME["OpportunityContactRole"]).values()
    assert {(r["opportunity_id"], r["contact_id"], r["role"]) for r in stored if not r["is_deleted"]} == expected_roles


def test_an_insightly_tenant_is_extracted_equal_to_the_org_and_kept_up_to_date(db, sim):
    org = sim.org(ORG)
    tenant = register_insightly_tenant(db, sim, ORG)
    first = sync(db, ORG, selection=EXTRACT)
    assert first.success
    assert_warehouse_equals_insightly(db, org)
    md = metadata_by_asset(first)
    assert md["crm_contacts"]["mode"] == "full" and md["crm_contacts"]["records_read"] == \
        len(org.rows("Contact", include_deleted=False))
    for lacking, name in (("crm_campaigns", "Campaign"), ("crm_account_team_members", "AccountTeamMember")):
        assert md[lacking]["mode"].startswith(f"skipped: the tenant's CRM has no {name} (")
        assert md[lacking]["records_read"] == 0 and md[lacking]["api_calls_used"] == 0
        assert warehouse_rows(db, ORG, BY_NAME[name]) == {}

    org.advance_clock(3600)
    contacts = org.rows("Contact", include_deleted=False)["Id"]
    edited, deleted = str(contacts.iloc[0]), str(contacts.iloc[1])
    org.edit("Contact", edited, {"Title": "Chief Insightly Officer"})
    org.delete("Contact", deleted)
    leads = org.rows("Lead", include_deleted=False)
    master, merged = list(leads.loc[~leads["IsConverted"].astype(bool), "Id"].iloc[:2])
    org.merge("Lead", master, [merged])
    org.advance_clock(60)
    cursor = read_cursor(db, ORG, "Contact").cursor
    since = pd.Timestamp(cursor.modstamp) - pd.Timedelta(seconds=tenant.settings.sync.lookback_seconds)
    stamps = pd.to_datetime(org.rows("Contact", include_deleted=False)["SystemModstamp"], utc=True).dt.floor("s")
    second = sync(db, ORG, selection=EXTRACT)
    assert second.success
    md = metadata_by_asset(second)
    # The edit, and what the lookback reads again at the cursor (E2): nothing else.
    assert md["crm_contacts"]["mode"] == "incremental"
    assert md["crm_contacts"]["records_read"] == int((stamps >= since).sum()) < 10
    assert md["crm_contacts"]["deletes_reconciled_by_id_set"] is True
    assert md["crm_contacts"]["rows_flagged_deleted_by_id_set"] == 1
    stored = warehouse_rows(db, ORG, BY_NAME["Contact"])
    assert stored[_number(edited)]["title"] == "Chief Insightly Officer"
    assert stored[_number(deleted)]["is_deleted"] is True
    # Insightly names no master: a merged-away lead is gone, and flagged deleted like any other.
    assert warehouse_rows(db, ORG, BY_NAME["Lead"])[_number(merged)]["is_deleted"] is True
    assert_warehouse_equals_insightly(db, org)


def test_a_run_out_of_budget_mid_extraction_keeps_what_it_read_and_the_next_run_completes_it(db, sim):
    org = sim.org(ORG)
    register_insightly_tenant(db, sim, ORG, **{"api_budget.daily_limit": "6"})
    first = sync(db, ORG, selection=EXTRACT)
    md = metadata_by_asset(first)
    deferred = [asset for asset, values in md.items() if values["deferred"]]
    completed = [asset for asset, values in md.items() if not values["deferred"] and values["records_read"]]
    assert deferred and completed
    for asset in deferred:
        obj = next(o for o in CRM_OBJECTS if o.asset == asset)
        # A read cut short hands over nothing: its cursor stays where it was, nothing unread is skipped.
        assert read_cursor(db, ORG, obj.name).cursor is None
    for asset in completed:
        obj = next(o for o in CRM_OBJECTS if o.asset == asset)
        assert len(warehouse_rows(db, ORG, obj)) == md[asset]["records_read"]

    TenantRegistry(db).set(ORG, {"api_budget.daily_limit": "5000"})
    assert sync(db, ORG, selection=EXTRACT).success
    assert_warehouse_equals_insightly(db, org)
