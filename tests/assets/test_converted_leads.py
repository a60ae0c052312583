"""X5 over the simulator: a CRM user converts a Lead that a prospect holds and a user's list shows.
The prospect follows to the Contact with its history, the Lead leaves the list for its Contact,
and nothing is ever written to the converted Lead (issue "Data stays right", point 3)."""

import pandas as pd
import pytest
import requests
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.auto_save_lists import read_changes, read_lists
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import metadata
from tests.sim_tenants import register_sim_tenant, run_job

SEED = 3


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


def _control(sim, method: str, path: str, **kw):
    with requests.Session() as http:
        http.trust_env = False  # loopback: no proxy
        response = http.request(method, f"{sim.base_url}/_sim/orgs/acme{path}", **kw)
        response.raise_for_status()
        return response.json()


def _run(db, job: str, instance) -> None:
    assert run_job(db, job, "acme", instance).success


def _convert(sim, lead_id: str) -> str:
    """Converts the Lead as a CRM user would, an hour later; returns its new Contact's id."""
    _control(sim, "POST", "/clock/advance", json={"seconds": 3600})
    return _control(sim, "POST", f"/leads/{lead_id}/convert", json={})["contactId"]


def _on_leads(prospects: pd.DataFrame) -> pd.Series:
    """Seeded prospects matched by the id of a Lead."""
    seeded = prospects["prospect_id"].str.startswith("p-id-").fillna(False).astype(bool)
    return seeded & (prospects["crm_type"] == "Lead").fillna(False).astype(bool)


def _listed_lead_of_a_prospect(db) -> tuple[str, str, str]:
    """(prospect, its Lead, a user whose list shows that Lead)."""
    prospects = read_app_table(db, "acme", "prospects")
    held = prospects.loc[_on_leads(prospects)]
    lists = read_lists(db, "acme")
    on_list = lists.loc[lists["crm_id"].isin(held["crm_id"])].iloc[0]
    prospect = held.loc[held["crm_id"] == on_list["crm_id"], "prospect_id"].iloc[0]
    return prospect, on_list["crm_id"], on_list["user_id"]


def test_a_converted_lead_leaves_the_lists_for_its_contact_and_its_prospect_follows_with_its_history(sqlite_db, sim):
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"push.enabled": "false"})
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
    instance = DagsterInstance.ephemeral()
    _run(db, "crm_sync", instance)
    _run(db, "auto_save_rebuild", instance)
    prospect, lead, user = _listed_lead_of_a_prospect(db)
    history = {table: (read_app_table(db, "acme", table)["prospect_id"] == prospect).sum()
               for table in ("activity_events", "cadence_memberships")}

    contact = _convert(sim, lead)
    _run(db, "crm_sync", instance)
    _run(db, "auto_save_rebuild", instance)

    crm_lead = sim.org("acme").rows("Lead").set_index("Id").loc[lead]
    assert bool(crm_lead["IsConverted"]) and crm_lead["ConvertedContactId"] == contact
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], "acme").set_index("prospect_id")
    assert (matched.loc[prospect, "crm_id"], matched.loc[prospect, "crm_type"]) == (contact, "Contact")
    assert lead not in set(matched["crm_id"])
    prospects = read_app_table(db, "acme", "prospects").set_index("prospect_id")
    assert (prospects.loc[prospect, "crm_id"], prospects.loc[prospect, "crm_type"]) == (contact, "Contact")
    assert f"crm-{contact}" not in prospects.index  # the Contact is this prospect, not a new one
    assert {table: (read_app_table(db, "acme", table)["prospect_id"] == prospect).sum() for table in history} == history

    lists = read_lists(db, "acme")
    assert lead not in set(lists["crm_id"])
    mine = lists.loc[(lists["user_id"] == user) & (lists["crm_id"] == contact)]
    assert list(mine["record_type"]) == ["Contact"]
    changes = read_changes(db, "acme", user_id=user)
    removed = changes.loc[(changes["crm_id"] == lead) & (changes["change"] == "removed"), "reason"]
    assert list(removed) == [f"removed: the Lead was converted to Contact {contact} (X5)"]
    added = changes.loc[(changes["crm_id"] == contact) & (changes["change"] == "added"), "reason"]
    assert list(added.str.startswith(f"added: in place of converted Lead {lead}:")) == [True]


def test_nothing_is_pushed_to_a_converted_lead_though_the_prospect_still_holds_it(sqlite_db, sim):
    # With CRM → app off (S4), the app keeps the Lead's id on the prospect; the pushes must not use it.
    db = sqlite_db
    register_sim_tenant(db, sim, "acme", **{"sync.crm_to_app": "false"})
    app = app_data_for_org(sim.org("acme"), seed=SEED)
    write_app_tables(db, "acme", app)
    instance = DagsterInstance.ephemeral()
    _run(db, "crm_sync", instance)
    _run(db, "outbound_push", instance)
    prospects = read_app_table(db, "acme", "prospects")
    prospect, lead = prospects.loc[_on_leads(prospects),
                                   ["prospect_id", "crm_id"]].iloc[0]

    contact = _convert(sim, lead)
    events = read_app_table(db, "acme", "activity_events")
    write_app_table(db, "acme", "activity_events", pd.concat(
        [events, events.iloc[[0]].assign(event_id="ev-after-conversion", prospect_id=prospect)], ignore_index=True))
    write_app_table(db, "acme", "push_requests", pd.DataFrame({
        "request_id": ["pr-converted"], "prospect_id": [prospect], "requested_by": [app["app_users"]["user_id"].iloc[0]],
        "requested_at": [pd.Timestamp.now(tz="UTC")], "status": ["pending"]}))
    lead_writes = len(sim.org("acme").writes("Lead"))
    _run(db, "crm_sync", instance)
    _run(db, "outbound_push", instance)

    assert read_app_table(db, "acme", "prospects").set_index("prospect_id").loc[prospect, "crm_id"] == lead
    assert not [w for w in sim.org("acme").writes("Lead")[lead_writes:] if w["id"] == lead]
    contact_writes = [w for w in sim.org("acme").writes("Contact") if w["id"] == contact]
    # The request reaches the Contact with a Contact field; its two-way fields stay the CRM's, since
    # the Contact is newer than the app's record and the pair has no base yet (F3).
    assert contact_writes and "Lead_Score__c" in contact_writes[-1]["fields"]
    task = sim.org("acme").rows("Task").set_index("App_External_Id__c").loc["event:ev-after-conversion"]
    assert task["WhoId"] == contact
    ledger = read_ledger(db, "acme")
    assert not (ledger["error_code"] == "CANNOT_UPDATE_CONVERTED_LEAD").any()
    assert read_app_table(db, "acme", "push_requests").set_index("request_id").loc["pr-converted", "status"] == "sent"
