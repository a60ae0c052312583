"""Records hard-deleted in the CRM, or emptied from its recycle bin, are seen by the extraction (E3):
flagged deleted with their time in the warehouse, never dropped, gone from the auto-save lists at
the next rebuild (L6 as issue 14 amends it; test_deleted_records_leave_lists.py) and never pushed to."""

import math

import orjson
import pandas as pd
import pytest
from dagster import DagsterInstance
from sqlalchemy import select

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.crm_objects import BY_NAME, CRM_OBJECTS
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import crm_tables
from tests.assets.test_outbound_push import control
from tests.sim_tenants import metadata_by_asset, register_sim_tenant, run_job, sync, warehouse_rows, sim_rows
from tests.store_copies import first_sync_copy

pytestmark = pytest.mark.slow

SEED = 3
MONTH = 31 * 86400


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


def _first_synced(tmp_path_factory, sim, db) -> None:
    """acme registered and synced once, made once per worker and copied (tests/store_copies.py)."""
    def first_sync(store) -> None:
        register_sim_tenant(store, sim, "acme")
        assert sync(store, "acme").success

    first_sync_copy(tmp_path_factory, f"hard-deletes-acme-{SEED}", sim, db, first_sync)


def _live_ids(org, sobject: str, n: int) -> list[str]:
    return org.rows(sobject, include_deleted=False)["Id"].head(n).tolist()


def _warehouse(db, sobject: str) -> pd.DataFrame:
    return read_records(db, BY_NAME[sobject], "acme").set_index("id")


def assert_warehouse_is_sim_plus_flagged(db, org, purged: dict[str, set[str]]) -> None:
    """Every record the CRM still has is in the warehouse as it is there; every purged one is kept,
    flagged deleted."""
    for obj in CRM_OBJECTS:
        expected, actual = sim_rows(org, obj), warehouse_rows(db, "acme", obj)
        gone = purged.get(obj.name, set())
        assert actual.keys() == expected.keys() | gone, obj.name
        for record_id, fields in expected.items():
            assert actual[record_id] == fields, f"{obj.name} {record_id}"
        for record_id in gone:
            assert actual[record_id]["is_deleted"] is True, f"{obj.name} {record_id} is still live in the warehouse"


def test_records_hard_deleted_or_purged_between_two_syncs_end_flagged_deleted_with_their_time(db, sim, tmp_path_factory):
    org = sim.org("acme")
    _first_synced(tmp_path_factory, sim, db)
    org.advance_clock(3600)

    hard_contact, binned_contact = _live_ids(org, "Contact", 2)
    [hard_lead] = _live_ids(org, "Lead", 1)
    [role] = _live_ids(org, "OpportunityContactRole", 1)  # an object read without queryAll
    deleting_from = org.clock.now()
    for sobject, record_id in (("Contact", hard_contact), ("Lead", hard_lead), ("OpportunityContactRole", role)):
        control(sim, "acme", "DELETE", f"/sobjects/{sobject}/{record_id}", params={"hard": "true"})
    control(sim, "acme", "DELETE", f"/sobjects/Contact/{binned_contact}")
    emptied = set(org.rows("Contact").query("IsDeleted")["Id"])  # flagged since the first sync but one
    control(sim, "acme", "POST", "/recycle-bin/empty", json={"sobject": "Contact"})
    deleting_until = org.clock.now()
    org.advance_clock(120)

    result = sync(db, "acme")
    assert result.success
    md = metadata_by_asset(result)
    contacts, leads = _warehouse(db, "Contact"), _warehouse(db, "Lead")
    roles = _warehouse(db, "OpportunityContactRole")
    for table, record_id in ((contacts, hard_contact), (contacts, binned_contact), (leads, hard_lead), (roles, role)):
        row = table.loc[record_id]
        assert row["is_deleted"], record_id
        assert deleting_from <= row["deleted_at"] <= deleting_until, record_id
    assert md["crm_contacts"]["rows_flagged_deleted_from_delete_log"] == 2
    assert_warehouse_is_sim_plus_flagged(db, org, {
        "Contact": {hard_contact} | emptied, "Lead": {hard_lead}, "OpportunityContactRole": {role}})
    # One delete-log call per object that can be deleted, on top of the usual bound on query pages.
    for obj in CRM_OBJECTS:
        assert md[obj.asset]["query_pages"] <= math.ceil(md[obj.asset]["records_read"] / 2000) + 2
        assert md[obj.asset]["delete_log_calls"] == (1 if obj.name != "User" else 0), obj.name

    # A third sync with nothing new flags nothing again and writes nothing.
    org.advance_clock(120)
    again = metadata_by_asset(sync(db, "acme"))
    assert all(again[o.asset]["rows_flagged_deleted_from_delete_log"] == 0 for o in CRM_OBJECTS)
    assert all(again[o.asset]["rows_upserted"] == 0 for o in CRM_OBJECTS)


def test_a_cursor_older_than_the_delete_log_reconciles_by_id_set_and_flags_exactly_the_missing(db, sim, tmp_path_factory):
    org = sim.org("acme")
    _first_synced(tmp_path_factory, sim, db)
    before = {o.name: _warehouse(db, o.name) for o in CRM_OBJECTS}
    org.advance_clock(MONTH)  # past the delete log's 30 days
    gone_contacts = set(_live_ids(org, "Contact", 3))
    for record_id in gone_contacts:
        control(sim, "acme", "DELETE", f"/sobjects/Contact/{record_id}", params={"hard": "true"})
    org.delete("Account", _live_ids(org, "Account", 1)[0])  # in the recycle bin: read by queryAll as usual
    org.advance_clock(120)

    result = sync(db, "acme")
    assert result.success
    md = metadata_by_asset(result)
    contacts = _warehouse(db, "Contact")
    newly_deleted = set(contacts.index[contacts["is_deleted"] & ~before["Contact"]["is_deleted"].reindex(contacts.index, fill_value=False)])
    assert newly_deleted == gone_contacts
    assert contacts.loc[list(gone_contacts), "deleted_at"].notna().all()
    assert md["crm_contacts"]["deletes_reconciled_by_id_set"] is True
    assert md["crm_contacts"]["rows_flagged_deleted_by_id_set"] == 3
    # The Id set is read cheaply: Ids only, 2,000 a page.
    crm_contacts = len(org.rows("Contact"))
    assert md["crm_contacts"]["id_set_pages"] == math.ceil(crm_contacts / 2000)
    assert_warehouse_is_sim_plus_flagged(db, org, {"Contact": gone_contacts})

    # Reconciled once: the next sync is back on the delete log.
    org.advance_clock(3600)
    later = metadata_by_asset(sync(db, "acme"))
    assert later["crm_contacts"]["deletes_reconciled_by_id_set"] is False
    assert later["crm_contacts"]["delete_log_calls"] == 1


def _activity_for_a_contact(db) -> tuple[str, str]:
    """An activity event that makes a Task for a prospect matched to a CRM Contact: (event id, contact id)."""
    prospects = read_app_table(db, "acme", "prospects")
    linked = prospects.loc[(prospects["crm_type"] == "Contact") & prospects["crm_id"].notna()
                           & ~prospects["is_deleted"].fillna(False).astype(bool)]
    prospect, contact = str(linked["prospect_id"].iloc[0]), str(linked["crm_id"].iloc[0])
    write_app_table(db, "acme", "activity_events", pd.DataFrame({
        "event_id": ["ev-after-delete"], "prospect_id": [prospect], "user_id": [pd.NA], "kind": ["email_sent"],
        "object_type": [pd.NA], "object_id": [pd.NA], "object_name": [pd.NA],
        "occurred_at": [pd.Timestamp("2026-11-02 09:00", tz="UTC")],
    }))
    return "ev-after-delete", contact


def test_a_hard_deleted_contact_leaves_the_lists_and_is_never_pushed_to(db, sim):
    org = sim.org("acme")
    register_sim_tenant(db, sim, "acme", **{"push.activity_touch_outcomes": "email_replied,call_connected"})
    write_app_tables(db, "acme", app_data_for_org(org, seed=SEED))
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    assert run_job(db, "auto_save_rebuild", "acme", instance).success
    lists = read_lists(db, "acme")
    event, contact = _activity_for_a_contact(db)
    listed = lists.loc[(lists["record_type"] == "Contact"), "crm_id"]
    on_list = contact if contact in set(listed) else str(listed.iloc[0])
    writes_before = len(org.writes())

    org.advance_clock(3600)
    org.hard_delete("Contact", contact)
    if on_list != contact:
        org.hard_delete("Contact", on_list)
    org.advance_clock(120)
    assert run_job(db, "crm_sync", "acme", instance).success
    assert run_job(db, "auto_save_rebuild", "acme", instance).success
    assert run_job(db, "outbound_push", "acme", instance).success

    after = read_lists(db, "acme")
    assert not (after["crm_id"] == on_list).any(), "a record deleted in the CRM is still on a list"
    new_writes = org.writes()[writes_before:]
    assert contact not in orjson.dumps(new_writes).decode(), "a push went to a record deleted in the CRM"
    ledger = read_ledger(db, "acme")
    touched = ledger.loc[(ledger["crm_id"] == contact) | ledger["attempted_fields"].astype(str).str.contains(contact)]
    assert touched.empty, touched
    # The event's Task waits: its prospect has no live CRM record to hang it on.
    assert f"event:{event}" not in set(ledger.loc[ledger["state"] == "sent", "external_id"])
    with db.engine.connect() as conn:
        row = conn.execute(select(crm_tables["Contact"].c.is_deleted, crm_tables["Contact"].c.deleted_at)
                           .where(crm_tables["Contact"].c.id == contact)).one()
    assert row.is_deleted and row.deleted_at is not None


def test_nothing_is_pushed_to_a_record_the_warehouse_holds_as_deleted_even_through_a_stale_link(db, sim):
    """The app may still link a prospect to a CRM record deleted since (its link is cleared by the
    next field sync only): the delivery itself refuses to aim at a record flagged deleted."""
    org = sim.org("acme")
    register_sim_tenant(db, sim, "acme", **{"push.activity_touch_outcomes": "email_replied,call_connected"})
    write_app_tables(db, "acme", app_data_for_org(org, seed=SEED))
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    prospects = read_app_table(db, "acme", "prospects")
    event, contact = _activity_for_a_contact(db)
    org.advance_clock(3600)
    org.hard_delete("Contact", contact)
    org.advance_clock(120)
    assert run_job(db, "crm_sync", "acme", instance, tags={}).success
    write_app_table(db, "acme", "prospects", prospects)  # the link as it was before the sync cleared it

    pushed = run_job(db, "outbound_push", "acme", instance)
    assert pushed.success
    ledger = read_ledger(db, "acme")
    touched = ledger.loc[(ledger["crm_id"] == contact) | ledger["attempted_fields"].astype(str).str.contains(contact)]
    assert touched.empty, touched
    md = metadata_by_asset(pushed)["crm_push_results"]
    assert md["not_sent_record_deleted_in_crm"] >= 1
