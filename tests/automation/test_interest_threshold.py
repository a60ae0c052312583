"""The interest threshold is a trigger (P4c): a prospect whose lead score crosses the tenant's
threshold is pushed within one `push_triggers` tick, once per crossing; evaluated with Dagster's
own sensor context on a real instance, delivered to the simulator over real HTTP."""

import pandas as pd
import pytest
import requests
from dagster import DagsterInstance, SkipReason, build_sensor_context

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.outbound_push import push_triggers
from crm_pipelines.clock import ClockResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url, register_sim_tenant, run_job

SEED = 3
THRESHOLD = 70


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


class Ticks:
    """push_triggers evaluated the way the daemon does: the runs it asks for launched once per run key."""

    def __init__(self, db, instance: DagsterInstance) -> None:
        self.db, self.instance, self.launched = db, instance, set()

    def tick(self) -> list[str]:
        """The run keys this tick asks for that were not launched before (the daemon's dedup),
        each launched and run to its end."""
        context = build_sensor_context(instance=self.instance, resources={
            "database": DatabaseResource(database_url=db_url(self.db)), "clock": ClockResource()})
        result = push_triggers(context)
        if isinstance(result, SkipReason):
            return []
        new = [r.run_key for r in result if r.run_key not in self.launched]
        for key in new:
            assert run_job(self.db, "outbound_push", "acme", self.instance, tags={"dagster/run_key": key}).success
            self.launched.add(key)
        return new


def set_score(db, prospect_id: str, score: float) -> None:
    prospects = read_app_table(db, "acme", "prospects")
    prospects.loc[prospects["prospect_id"] == prospect_id, "lead_score"] = score
    prospects.loc[prospects["prospect_id"] == prospect_id, "updated_at"] = pd.Timestamp.now(tz="UTC")
    write_app_table(db, "acme", "prospects", prospects)


def contact_pushes_to(db, sim, sobject: str, crm_id: str) -> int:
    """Contact pushes (P4) the CRM received for `crm_id`. A contact push writes the push mapped
    fields (the lead score among them) and only the two-way fields the app changed (F3), so in the
    CRM's write log (control API) it can look like a lead score update (P5): the connector log's
    reason says which push each write was, and every one it counts is a write the CRM has."""
    with requests.Session() as http:
        http.trust_env = False  # loopback: no proxy
        response = http.get(f"{sim.base_url}/_sim/orgs/acme/writes", params={"sobject": sobject})
        response.raise_for_status()
        scores = [e for e in response.json() if e["id"] == crm_id and "Lead_Score__c" in e["fields"]]
    log = read_log(db, "acme", record=crm_id)
    pushed = log.loc[log["reason"].str.contains("contact_push").fillna(False) & (log["crm_field"] == "Lead_Score__c")]
    assert len(pushed) <= len(scores)
    return len(pushed)


def test_crossing_the_interest_threshold_pushes_the_contact_once_per_crossing(db, sim):
    register_sim_tenant(db, sim, "acme", **{"push.interest_threshold": str(THRESHOLD)})
    app = app_data_for_org(sim.org("acme"), seed=SEED)
    app["prospects"]["lead_score"] = 10.0  # everyone starts below the threshold
    app["push_requests"], app["todos"] = app["push_requests"].iloc[0:0], app["todos"].iloc[0:0]  # no other trigger
    write_app_tables(db, "acme", app)
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    assert run_job(db, "outbound_push", "acme", instance).success  # what the sync found goes out first

    ticks = Ticks(db, instance)
    assert ticks.tick() == [], "nobody is above the threshold: nothing to push"
    prospects = read_app_table(db, "acme", "prospects")
    linked = prospects["prospect_id"].str.startswith("p-id-")
    contact = prospects.loc[(prospects["crm_type"] == "Contact") & linked].iloc[0]
    pid, crm_id = contact["prospect_id"], contact["crm_id"]
    before = contact_pushes_to(db, sim, "Contact", crm_id)

    set_score(db, pid, 85)
    [first] = ticks.tick()
    assert contact_pushes_to(db, sim, "Contact", crm_id) == before + 1, "the crossing pushes the contact within the tick"
    assert sim.org("acme").rows("Contact").set_index("Id").loc[crm_id, "Lead_Score__c"] == 85
    assert ticks.tick() == []

    set_score(db, pid, 95)  # still above: not a new crossing
    assert ticks.tick() == []
    assert run_job(db, "outbound_push", "acme", instance).success  # the scheduled push
    assert contact_pushes_to(db, sim, "Contact", crm_id) == before + 1

    set_score(db, pid, 40)  # below again
    assert ticks.tick() == []
    set_score(db, pid, 75)  # and across again: a new crossing
    [second] = ticks.tick()
    assert second != first
    assert contact_pushes_to(db, sim, "Contact", crm_id) == before + 2

    TenantRegistry(db).set("acme", {"push.enabled": "false"})
    set_score(db, pid, 20)
    ticks.tick()
    set_score(db, pid, 90)
    assert ticks.tick() == [], "pushes off: no crossing launches anything"
    assert contact_pushes_to(db, sim, "Contact", crm_id) == before + 2
