"""The CRM port as the extraction and the push use it, served by the Salesforce adapter over real
HTTP against the simulator; and the resource that hands it out, holding its logins per instance."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from dagster import build_resources

from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.crm.errors import DeleteLogTooOld
from crm_pipelines.crm.port import CrmPort, DeleteLog, OrgUsage
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.sim.server import run_simulator

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=3) as served:
        yield served


def tenant_of(sim, tenant_id: str = "acme") -> Tenant:
    os.environ["PORT_TEST_ID"] = "acme"
    os.environ["PORT_TEST_SECRET"] = "acme-secret"
    return validated(Tenant, {
        "id": tenant_id, "name": tenant_id.title(), "status": "connected", "connected_at": NOW,
        "connection": {"login_url": sim.base_url, "credentials": {
            "grant": "client_credentials", "client_id_env": "PORT_TEST_ID", "client_secret_env": "PORT_TEST_SECRET"}},
    })


def port_of(sim, resource: CrmClientResource | None = None) -> CrmPort:
    return (resource or CrmClientResource()).crm_for(tenant_of(sim), lambda: None)


def test_one_resource_shares_a_login_between_its_ports_and_two_resources_never_do(sim):
    resource = CrmClientResource()
    first, second = port_of(sim, resource), port_of(sim, resource)
    assert first.read_org_usage() is not None
    assert first.calls_sent == 2  # the login, then /limits
    second.read_org_usage()
    assert second.calls_sent == 1  # the same resource's login

    other = port_of(sim, CrmClientResource())
    other.read_org_usage()
    assert other.calls_sent == 2  # a resource of its own logs in for itself


def test_the_runs_of_one_configured_resource_share_its_logins_through_dagsters_copies(sim):
    configured = CrmClientResource()
    calls = []
    for _ in range(2):  # Dagster initializes a copy of the configured resource for each run
        with build_resources({"crm": configured}) as resources:
            crm = resources.crm.crm_for(tenant_of(sim), lambda: None)
            crm.read_org_usage()
            calls.append(crm.calls_sent)
    assert calls == [2, 1]  # the second run's copy reuses the first run's login


def test_changed_records_since_a_moment_are_those_whose_cursor_is_at_or_after_it(sim):
    contact = BY_NAME["Contact"]
    every = [r for page in port_of(sim).read_changed(contact, [], None, page_size=200) for r in page.records]
    stamps = sorted(r["SystemModstamp"] for r in every)
    middle = stamps[len(stamps) // 2]
    since = datetime.fromisoformat(middle.replace("+0000", "+00:00"))
    changed = [r for page in port_of(sim).read_changed(contact, [], since) for r in page.records]
    assert {r["Id"] for r in changed} == {r["Id"] for r in every if r["SystemModstamp"] >= middle}
    assert [r["SystemModstamp"] for r in changed] == sorted(r["SystemModstamp"] for r in changed)


def test_a_delete_log_window_the_crm_no_longer_holds_is_named_by_the_port(sim):
    crm = port_of(sim)
    assert crm.has_delete_log
    crm.read_org_usage()
    now = crm.crm_time
    assert isinstance(crm.read_deleted("Lead", now - timedelta(hours=1), now), DeleteLog)
    with pytest.raises(DeleteLogTooOld):
        crm.read_deleted("Lead", now - timedelta(days=40), now)


def test_ids_and_described_fields_come_in_the_ports_shapes(sim):
    crm = port_of(sim)
    ids = [i for page in crm.list_ids("Account", include_deleted=True) for i in page]
    assert ids and all(isinstance(i, str) for i in ids)
    fields = {f["name"]: f for f in crm.describe_fields("Lead")}
    assert fields["Email"]["custom"] is False and fields["Email"]["label"]
    assert fields["App_External_Id__c"]["custom"] is True


def test_a_write_batch_answers_one_result_per_record_in_order(sim):
    crm = port_of(sim)
    assert crm.max_write_batch == 1000
    records = [{"Subject": f"port test {i}", "App_External_Id__c": f"port-test:{i}"} for i in range(3)]
    first = crm.write_batch("upsert", "Task", records)
    assert [r["success"] for r in first] == [True, True, True]
    again = crm.write_batch("upsert", "Task", records)
    # By external id: the second call updates what the first created.
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert crm.org_usage is not None and isinstance(crm.org_usage, OrgUsage)


def test_field_history_is_named_only_while_the_org_tracks_it_and_reads_each_change_once(sim):
    org = sim.org("acme")
    lead_id = str(org.table("Lead").frame()["Id"].iloc[0])
    assert port_of(sim).field_history_of("Lead") is None
    org.track_field_history("Lead", ["Title", "Phone"])
    try:
        crm = port_of(sim)
        assert crm.field_history_of("Lead") == "LeadHistory"
        calls = crm.calls_sent
        crm.describe_fields("Lead")
        assert crm.calls_sent == calls  # fields and history come from one describe
        before = org.clock.now().to_pydatetime()
        org.edit("Lead", lead_id, {"Title": "Chief Port Officer", "City": "Nowhere"})
        changes = [c for page in crm.read_field_history("Lead", "LeadHistory", ["Title", "City"], before)
                   for c in page]
        assert [(c.record_id, c.field) for c in changes] == [(lead_id, "Title")]  # City is not tracked
        assert changes[0].changed_at >= before
    finally:
        org.track_field_history("Lead", [])
