"""A push plans with what each write costs (issue 19): Insightly's upsert is a lookup then a
write, so a budget with room for the lookup alone starts no upsert, instead of spending the call
on a lookup whose write is then refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_pipelines.exchange.push_delivery import deliver
from crm_pipelines.core.outbound import items_frame
from crm_pipelines.crm.errors import BudgetExhausted
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.api_budget import ApiBudget
from crm_pipelines.store.push_ledger import read_ledger
from tests.sim_tenants import register_insightly_tenant, register_sim_tenant

ORG = "hooli"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim():
    with run_simulator(orgs=(f"{ORG}:insightly",), scale="tiny", seed=3) as served:
        served.second_rate(ORG).per_second = 1_000_000
        yield served


def _new_leads(n: int):
    return items_frame(kind="new_lead", sobject="Lead", operation="upsert",
                       external_id=[f"prospect:cost-{i}" for i in range(n)], crm_id=None, app_object="prospect",
                       app_id=[f"p-cost-{i}" for i in range(n)], who_prospect_id=None,
                       fields=[{"LastName": f"Cost {i}", "Company": "Hooli"} for i in range(n)],
                       app_fields=[{"LastName": "last_name", "Company": "company"}] * n,
                       triggers=None, forced=False)


def test_an_insightly_push_never_starts_an_upsert_the_budget_cannot_finish(sqlite_db, sim):
    db = sqlite_db
    tenant = register_insightly_tenant(db, sim, ORG)
    # The org's usage (1), the lead statuses and sources (2), two upserts (2 each), and one call
    # more: room for the third upsert's lookup but not its write.
    limit = 1 + 2 + 2 * 2 + 1
    budget = ApiBudget(db, ORG, limit, lambda: NOW)
    crm = CrmClientResource().crm_for(tenant, budget.reserve, lambda: NOW)
    run = deliver(crm, db, ORG, _new_leads(3), now=lambda: NOW, run_id=None, batch_name="cost",
                  room_for=budget.require)
    assert isinstance(run.deferred, BudgetExhausted) and "2 calls needed, 1 of 8 left" in run.deferred.reason
    assert run.answers.sent == 2 and crm.calls_sent == limit - 1 == budget.status().used
    ledger = read_ledger(db, ORG).set_index("app_id")
    assert set(ledger.loc[ledger["state"] == "sent"].index) == {"p-cost-0", "p-cost-1"}
    assert "p-cost-2" not in ledger.index or ledger.loc["p-cost-2", "attempts"] == 0
    assert sorted(sim.org(ORG).external_id_counts("Lead")) == ["prospect:cost-0", "prospect:cost-1"]


def test_salesforce_writes_five_collections_of_200_records_a_call_and_knows_a_lead_from_a_contact_by_id(sqlite_db):
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as served:
        tenant = register_sim_tenant(sqlite_db, served, "acme")
        crm = CrmClientResource().crm_for(tenant, lambda: None, lambda: NOW)
        assert crm.max_write_batch == 1000  # a Composite of five sObject Collections: one API call
        assert [crm.write_calls("upsert", "Task", n) for n in (1, 200, 201, 1000, 1001)] == [1, 1, 1, 1, 2]
        assert crm.write_calls("update", "Contact", 2000) == 2
        assert crm.links_task_by_type is False
        assert crm.calls_sent == 0  # the cost is known without asking the CRM
