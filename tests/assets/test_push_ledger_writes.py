"""The ledger writes of a delivery in bulk (issue 17): marking a batch attempted is one bulk upsert
(COPY on PostgreSQL) that changes only what an attempt changes, so a record the CRM has keeps its
CRM id and what it was sent, and a re-sent record is still created once; the base of records just
created is copied in new, and replaced when one is sent again. The CRM's records are the truth, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_pipelines.core.outbound import due_items, items_frame
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.exchange.push_delivery import deliver
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.store.push_ledger import mark_attempted, read_ledger
from crm_pipelines.store.push_plan_reads import base_of_sent, ledger_of_items
from tests.sim_tenants import register_sim_tenant

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as served:
        yield served


def _leads(suffix: str, n: int = 5):
    return items_frame(kind="new_lead", sobject="Lead", operation="upsert",
                       external_id=[f"prospect:w{suffix}-{i}" for i in range(n)], crm_id=None, app_object="prospect",
                       app_id=[f"p-w{suffix}-{i}" for i in range(n)], who_prospect_id=None,
                       fields=[{"LastName": f"Bulk {i}", "Company": "Acme"} for i in range(n)],
                       app_fields=[{"LastName": "last_name", "Company": "company"}] * n, triggers=None, forced=False)


def test_an_attempt_keeps_what_the_crm_has_and_a_resent_record_is_created_once(db, sim):
    suffix = db.engine.dialect.name  # one simulator for both backends: each its own records
    tenant = register_sim_tenant(db, sim, "acme")
    crm = CrmClientResource().crm_for(tenant, lambda: None, lambda: NOW)
    first = deliver(crm, db, "acme", _leads(suffix), now=lambda: NOW, run_id="run-1", batch_name="w")
    assert (first.answers.sent, first.stopped) == (5, None)
    in_crm = sim.org("acme").table("Lead").frame().set_index("App_External_Id__c")
    sent = read_ledger(db, "acme").set_index("external_id")
    assert (sent["crm_id"] == in_crm.loc[sent.index, "Id"]).all() and set(sent["state"]) == {"sent"}

    # The app changes the last names: the items are due again, and marked attempted before the call.
    changed = _leads(suffix).assign(fields=[{"LastName": f"Renamed {i}", "Company": "Acme"} for i in range(5)])
    ledger = ledger_of_items(db, "acme", changed)
    due = due_items(changed, ledger, base_of_sent(db, "acme", ledger)).due
    later = NOW + timedelta(hours=1)
    mark_attempted(db, "acme", due, later, "run-2")
    pending = read_ledger(db, "acme").set_index("external_id").loc[sent.index]
    assert set(pending["state"]) == {"pending"} and set(pending["attempts"]) == {2}
    assert set(pending["run_id"]) == {"run-2"} and (pending["last_attempt_at"] == later).all()
    # What the CRM has stays: its id, the fields it confirmed, when.
    assert (pending["crm_id"] == sent["crm_id"]).all() and (pending["sent_at"] == sent["sent_at"]).all()
    assert list(pending["sent_fields"]) == list(sent["sent_fields"])
    assert [f["LastName"] for f in pending["attempted_fields"]] == [f"Renamed {i}" for i in range(5)]

    # The run that marked them died before the call: the next sends them again, by external id.
    again = deliver(crm, db, "acme", changed, now=lambda: later, run_id="run-3", batch_name="w")
    assert (again.due, again.answers.sent) == (5, 5)
    counts = {k: v for k, v in sim.org("acme").external_id_counts("Lead").items() if k.startswith(f"prospect:w{suffix}-")}
    assert len(counts) == 5 and all(v["creates"] == 1 and v["records"] == 1 for v in counts.values())
    in_crm = sim.org("acme").table("Lead").frame().set_index("App_External_Id__c")
    final = read_ledger(db, "acme").set_index("external_id").loc[sent.index]
    assert set(final["state"]) == {"sent"} and set(final["attempts"]) == {3}
    assert (final["crm_id"] == in_crm.loc[final.index, "Id"]).all()
    assert list(in_crm.loc[final.index, "LastName"]) == [f"Renamed {i}" for i in range(5)]
    # The base of the records created in the first run was copied in new; the second run's, of
    # the same records, replaced it (F3): one row a field, the value the CRM has now.
    base = read_base(db, "acme", "prospect", app_ids=[f"p-w{suffix}-{i}" for i in range(5)])
    names = base.loc[base["field"] == "last_name"].set_index("app_id")
    assert len(base) == 10 and list(names["value"]) == [f"Renamed {i}" for i in range(5)]
    assert (names["crm_id"].to_numpy() == final["crm_id"].to_numpy()).all()
