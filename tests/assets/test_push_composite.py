"""Salesforce writes up to 1,000 records a call: five sObject Collections of 200 in one Composite
(P8). The CRM's own records are the truth: each answer it gives, per record or per collection,
lands in the ledger and the connector log as a call of 200 would have, and nothing reaches the
CRM twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_pipelines.core.outbound import items_frame
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.exchange.push_delivery import deliver
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.push_ledger import read_ledger
from tests.sim_tenants import register_sim_tenant

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as served:
        yield served


def _new_leads(n: int, *, without_last_name: set[int] = frozenset(), unknown_field: set[int] = frozenset()):
    fields = []
    for i in range(n):
        record = {"Company": "Acme"} if i in without_last_name else {"LastName": f"Batch {i}", "Company": "Acme"}
        if i in unknown_field:
            record["Retired_Field__c"] = "x"
        fields.append(record)
    return items_frame(kind="new_lead", sobject="Lead", operation="upsert",
                       external_id=[f"prospect:batch-{i}" for i in range(n)], crm_id=None, app_object="prospect",
                       app_id=[f"p-batch-{i}" for i in range(n)], who_prospect_id=None, fields=fields,
                       app_fields=[{"LastName": "last_name", "Company": "company", "Retired_Field__c": "retired"}] * n,
                       triggers=None, forced=False)


def _push(db, sim, items):
    tenant = _tenants.get(id(db)) or _tenants.setdefault(id(db), register_sim_tenant(db, sim, "acme"))
    crm = CrmClientResource().crm_for(tenant, lambda: None, lambda: NOW)
    before = sim.org("acme").call_counts()
    run = deliver(crm, db, "acme", items, now=lambda: NOW, run_id=None, batch_name="composite")
    after = sim.org("acme").call_counts()
    return run, {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


_tenants: dict = {}


def _leads_in_crm(sim) -> dict[str, dict[str, int]]:
    return {k: v for k, v in sim.org("acme").external_id_counts("Lead").items() if k.startswith("prospect:batch-")}


def test_450_new_leads_go_in_one_call_and_the_records_the_crm_refuses_are_failed_alone(sqlite_db, sim):
    refused = {7, 250, 449}
    run, calls = _push(sqlite_db, sim, _new_leads(450, without_last_name=refused))
    assert calls.get("composite") == 1 and "composite.upsert" not in calls, calls
    assert run.stopped is None and (run.answers.sent, run.answers.failed) == (447, 3)

    crm = _leads_in_crm(sim)
    assert set(crm) == {f"prospect:batch-{i}" for i in range(450) if i not in refused}
    assert all(v == {"records": 1, "writes": 1, "creates": 1} for v in crm.values())
    ledger = read_ledger(sqlite_db, "acme").set_index("external_id")
    failed = ledger.loc[ledger["state"] == "failed"]
    assert set(failed.index) == {f"prospect:batch-{i}" for i in refused}
    assert set(failed["error_code"]) == {"REQUIRED_FIELD_MISSING"}
    sent = ledger.loc[ledger["state"] == "sent"]
    leads = sim.org("acme").table("Lead").frame().set_index("App_External_Id__c")
    assert (sent["crm_id"].to_numpy() == leads.loc[sent.index, "Id"].to_numpy()).all()
    log = read_log(sqlite_db, "acme")
    assert set(log["app_id"]) == {f"p-batch-{i}" for i in range(450) if i not in refused}
    assert log["id"].str.contains("/composite/000001/").all()  # one call, one log batch

    # Again: nothing due, nothing sent, no call.
    again, calls = _push(sqlite_db, sim, _new_leads(450, without_last_name=refused))
    assert (again.due, again.already_sent, again.failed_unchanged) == (0, 447, 3) and not calls


def test_a_collection_the_crm_refuses_inside_a_composite_stays_pending_and_goes_once_when_fixed(sqlite_db, sim):
    # Record 300 names a field the org does not have: the CRM refuses its whole collection (the
    # 200 records around it, in the delivery's order by external id) and applies the two beside it.
    run, calls = _push(sqlite_db, sim, _new_leads(450, unknown_field={300}))
    order = sorted(f"prospect:batch-{i}" for i in range(450))
    start = order.index("prospect:batch-300") // 200 * 200
    refused = set(order[start:start + 200])
    assert calls.get("composite") == 1
    assert run.stopped is not None and run.stopped.error_code == "INVALID_FIELD"
    assert run.answers.sent == 250
    ledger = read_ledger(sqlite_db, "acme").set_index("external_id")
    pending = ledger.loc[ledger["state"] == "pending"]
    assert set(pending.index) == refused and set(pending["error_code"]) == {"INVALID_FIELD"}
    assert set(ledger.loc[ledger["state"] == "sent"].index) == set(order) - refused
    assert set(_leads_in_crm(sim)) == set(order) - refused
    log = read_log(sqlite_db, "acme")
    assert set(log["app_id"]) == {e.replace("prospect:batch-", "p-batch-") for e in set(order) - refused}

    fixed, calls = _push(sqlite_db, sim, _new_leads(450))
    assert fixed.stopped is None and (fixed.due, fixed.already_sent, fixed.answers.sent) == (200, 250, 200)
    assert calls == {"limits": 1, "composite.upsert": 1}  # the org's usage, then 200 records: one collection
    crm = _leads_in_crm(sim)
    assert len(crm) == 450 and all(v == {"records": 1, "writes": 1, "creates": 1} for v in crm.values())
    assert set(read_ledger(sqlite_db, "acme")["state"]) == {"sent"}
