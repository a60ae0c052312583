"""simple-salesforce, a widely used client from PyPI, works against the simulator unchanged but for
where it connects: the instance URL of an https simulator and a session trusting its test CA."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceExpiredSession

from crm_pipelines.sim.server import run_simulator


@pytest.fixture(scope="module")
def tls_sim():
    with run_simulator(orgs=("acme",), scale="small", tls=True) as sim:
        yield sim


@pytest.fixture
def sf(tls_sim) -> Salesforce:
    session = requests.Session()
    session.trust_env = False  # a CA bundle from the environment would override `verify`
    session.verify = tls_sim.ca_file
    token = session.post(f"{tls_sim.base_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret"}).json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session)


def test_query_all_reads_every_page(sf):
    count = sf.query("SELECT COUNT() FROM Contact")["totalSize"]
    result = sf.query_all("SELECT Id, Email, SystemModstamp FROM Contact",
                          headers={"Sforce-Query-Options": "batchSize=1000"})
    assert count > 3000
    assert result["totalSize"] == count
    assert len({r["Id"] for r in result["records"]}) == count


def test_query_all_with_deleted_records(sf):
    records = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)["records"]
    assert any(r["IsDeleted"] for r in records)


def test_describe_global_and_object_describe(sf):
    assert "Contact" in {o["name"] for o in sf.describe()["sobjects"]}
    fields = {f["name"] for f in sf.Contact.describe()["fields"]}
    assert {"Id", "Email", "App_External_Id__c", "SystemModstamp"} <= fields


def test_limits_and_usage_header(sf):
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 100000
    used = sf.api_usage["api-usage"]
    assert used.total == 100000 and used.used >= 1


def test_create_update_get_upsert_and_delete(sf, tls_sim):
    created = sf.Contact.create({"LastName": "Turing", "Email": "alan@bletchley.example"})
    assert created["success"] is True
    assert sf.Contact.update(created["id"], {"Title": "Codebreaker"}) == 204
    assert sf.Contact.get(created["id"])["Title"] == "Codebreaker"
    assert sf.Contact.upsert("App_External_Id__c/turing-1", {"LastName": "Turing"}) == 201
    assert sf.Contact.upsert("App_External_Id__c/turing-1", {"Title": "Mathematician"}) == 200
    assert sf.Contact.get_by_custom_id("App_External_Id__c", "turing-1")["Title"] == "Mathematician"
    assert sf.Contact.delete(created["id"]) == 204
    assert tls_sim.org("acme").record("Contact", created["id"])["IsDeleted"] is True


def test_collections_through_restful(sf):
    results = sf.restful("composite/sobjects/Contact/App_External_Id__c", method="PATCH", json={
        "allOrNone": True,
        "records": [{"attributes": {"type": "Contact"}, "App_External_Id__c": "lib-1", "LastName": "A"},
                    {"attributes": {"type": "Contact"}, "App_External_Id__c": "lib-2", "LastName": "B"}]})
    assert [r["success"] for r in results] == [True, True]


def test_updated_and_deleted(sf, tls_sim):
    org = tls_sim.org("acme")
    org.advance_clock(120)
    start = org.clock.now().to_pydatetime()
    record_id = sf.Lead.create({"LastName": "Noether", "Company": "Erlangen"})["id"]
    sf.Lead.delete(sf.Lead.create({"LastName": "Gone", "Company": "Nowhere"})["id"])
    org.advance_clock(120)
    end = org.clock.now().to_pydatetime()
    assert record_id in sf.Lead.updated(start, end)["ids"]
    assert len(sf.Lead.deleted(start - dt.timedelta(minutes=1), end)["deletedRecords"]) == 1


def test_expired_session_raises_the_librarys_expired_session_error(sf, tls_sim):
    tls_sim.expire_tokens("acme")
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()
