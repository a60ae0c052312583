"""Incremental extraction against the simulator over real HTTP (issue 4)."""

import math

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from crm_pipelines.core.crm_objects import BY_NAME, CRM_OBJECTS
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.crm_records import read_cursor
from crm_pipelines.store.tables import crm_tables
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import assert_warehouse_equals_sim, metadata_by_asset, register_sim_tenant, sync


@pytest.fixture(scope="module")
def small_sim():
    with run_simulator(orgs=("acme",), scale="small", seed=7) as sim:
        yield sim


@pytest.fixture
def tiny_sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=3) as sim:
        yield sim


@pytest.mark.slow
@pytest.mark.both_backends
def test_full_sync_of_a_small_org_equals_the_simulator_id_for_id_field_for_field(db, small_sim):
    register_sim_tenant(db, small_sim, "acme")
    result = sync(db, "acme")
    assert result.success
    assert_warehouse_equals_sim(db, "acme", small_sim.org("acme"))
    md = metadata_by_asset(result)
    contacts = len(small_sim.org("acme").rows("Contact", include_deleted=True))
    assert md["crm_contacts"]["records_read"] == contacts
    assert md["crm_contacts"]["query_pages"] == math.ceil(contacts / 2000)
    assert md["crm_contacts"]["mode"] == "full"


def test_incremental_sync_picks_up_exactly_the_changes_with_few_query_calls(db, tiny_sim):
    org = tiny_sim.org("acme")
    register_sim_tenant(db, tiny_sim, "acme")
    assert sync(db, "acme").success
    org.advance_clock(3600)  # the edits happen an hour later, well past the lookback window

    contacts = org.rows("Contact").reset_index(drop=True)
    leads = org.rows("Lead").reset_index(drop=True)
    leads = leads[~leads["IsConverted"].astype(bool)].reset_index(drop=True)
    accounts = org.rows("Account").reset_index(drop=True)
    users = org.rows("User")
    org.edit("Contact", contacts.loc[0, "Id"], {"Title": "Chief Everything Officer"})
    org.delete("Contact", contacts.loc[1, "Id"])
    org.merge("Lead", leads.loc[0, "Id"], [leads.loc[1, "Id"]])
    other_owner = users.loc[users["Id"] != accounts.loc[0, "OwnerId"], "Id"].iloc[0]
    org.change_owner("Account", accounts.loc[0, "Id"], other_owner)

    result = sync(db, "acme")
    assert result.success
    md = metadata_by_asset(result)
    assert md["crm_contacts"]["mode"] == "incremental"
    assert md["crm_contacts"]["rows_upserted"] == 2
    assert md["crm_contacts"]["rows_deleted"] == 1
    assert md["crm_leads"]["rows_upserted"] == 2  # the merge winner and the deleted loser
    assert md["crm_accounts"]["rows_upserted"] == 1
    assert md["crm_opportunities"]["rows_upserted"] == 0
    for obj in CRM_OBJECTS:
        assert md[obj.asset]["query_pages"] <= math.ceil(md[obj.asset]["records_read"] / 2000) + 2
    assert_warehouse_equals_sim(db, "acme", org)

    loser = leads.loc[1, "Id"]
    with db.engine.connect() as conn:
        row = conn.execute(select(crm_tables["Lead"]).where(crm_tables["Lead"].c.id == loser)).mappings().one()
    assert row["is_deleted"] is True and row["master_record_id"] == leads.loc[0, "Id"]
    assert row["deleted_at"] is not None


@pytest.mark.both_backends
def test_records_sharing_the_cursor_timestamp_are_not_lost(db, tiny_sim):
    """A record that commits late with the cursor's very timestamp (and an Id below the cursor's,
    which a strict `(ts = c AND Id > id) OR ts > c` cursor would skip) is read by the next sync."""
    org = tiny_sim.org("acme")
    register_sim_tenant(db, tiny_sim, "acme")
    assert sync(db, "acme", selection={"crm_accounts"}).success
    cursor = read_cursor(db, "acme", "Account").cursor
    accounts = org.rows("Account")
    late = accounts[(accounts["Id"] < cursor.record_id) & ~accounts["IsDeleted"].astype(bool)]["Id"].iloc[0]
    table = org.table("Account")
    stamp = pd.Timestamp(cursor.modstamp)
    table.update(table.position_of(late), {"Name": "Late Commit Ltd", "LastModifiedDate": stamp, "SystemModstamp": stamp})

    result = sync(db, "acme", selection={"crm_accounts"})
    assert result.success
    with db.engine.connect() as conn:
        name = conn.execute(select(crm_tables["Account"].c.name).where(crm_tables["Account"].c.id == late)).scalar_one()
    assert name == "Late Commit Ltd"
    assert metadata_by_asset(result)["crm_accounts"]["rows_upserted"] == 1


def test_two_tenants_synced_side_by_side_each_hold_only_their_own_rows(db, tiny_sim):
    register_sim_tenant(db, tiny_sim, "acme")
    register_sim_tenant(db, tiny_sim, "globex")
    assert sync(db, "acme").success
    assert sync(db, "globex").success
    for org in ("acme", "globex"):
        assert_warehouse_equals_sim(db, org, tiny_sim.org(org))
    with db.engine.connect() as conn:
        for obj in CRM_OBJECTS:
            table = crm_tables[obj.name]
            acme_ids = set(conn.execute(select(table.c.id).where(table.c.tenant_id == "acme")).scalars())
            globex_ids = set(conn.execute(select(table.c.id).where(table.c.tenant_id == "globex")).scalars())
            assert not acme_ids & globex_ids, obj.name


def test_a_disconnected_tenant_is_not_read(db, tiny_sim):
    register_sim_tenant(db, tiny_sim, "acme")
    TenantRegistry(db).disconnect("acme")
    before = tiny_sim.org("acme").api_usage()["used"]
    result = sync(db, "acme", selection={"crm_accounts"})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "tenant 'acme' is disconnected" in failure.step_failure_data.error.message or "disconnected" in str(
        failure.step_failure_data.user_failure_data.description
    )
    assert tiny_sim.org("acme").api_usage()["used"] == before
