"""Versions, resources, describe, limits and the replication resources, in Salesforce's shapes."""

from __future__ import annotations

import requests

from crm_pipelines.sim.schema import OBJECTS


def test_versions_uri_needs_no_session_and_carries_no_usage_header(sim):
    reply = requests.get(f"{sim.base_url}/services/data/")
    assert reply.status_code == 200
    assert "Sforce-Limit-Info" not in reply.headers
    assert reply.json()[-1] == {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"}
    assert reply.json()[-2]["label"] == "Winter '25"
    assert {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"} in reply.json()


def test_every_api_answer_carries_exactly_api_usage_n_of_m(api):
    first = api.get("limits")
    second = api.get("sobjects/Account/describe")
    missing = api.get("sobjects/Account/nonexistent-id")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/100000"
    assert missing.headers["Sforce-Limit-Info"] == "api-usage=3/100000"


def test_version_root_lists_resources(api):
    body = api.get("").json()
    assert body["query"] == "/services/data/v60.0/query"
    assert body["sobjects"] == "/services/data/v60.0/sobjects"


def test_describe_global_lists_every_object(api):
    body = api.get("sobjects").json()
    assert body["maxBatchSize"] == 200
    assert {o["name"] for o in body["sobjects"]} == set(OBJECTS)
    account = next(o for o in body["sobjects"] if o["name"] == "Account")
    assert account["keyPrefix"] == "001" and account["queryable"] and account["replicateable"]
    assert account["urls"]["describe"] == "/services/data/v60.0/sobjects/Account/describe"


def test_describe_has_fields_with_salesforce_types(api):
    body = api.get("sobjects/Contact/describe").json()
    fields = {f["name"]: f for f in body["fields"]}
    assert body["name"] == "Contact"
    assert fields["SystemModstamp"]["type"] == "datetime"
    assert fields["App_External_Id__c"]["externalId"] is True
    assert fields["App_External_Id__c"]["unique"] is True
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["Email"]["compoundFieldName"] is None


def test_describe_of_an_unknown_object_is_404(api):
    reply = api.get("sobjects/Spaceship__c/describe")
    assert reply.status_code == 404
    assert reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_limits_has_daily_api_requests_and_bulk_batches_as_integers(api):
    api.get("sobjects")
    body = api.get("limits").json()
    assert body["DailyApiRequests"] == {"Max": 100000, "Remaining": 99998}
    assert body["DailyBulkApiBatches"] == {"Max": 15000, "Remaining": 15000}


def test_unknown_resource_is_404_and_wrong_method_405(api):
    assert api.get("nothing-here").status_code == 404
    reply = api.session.put(api.url("sobjects/Account/001000000000000AAA"), json={})
    assert reply.status_code == 405
    assert reply.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def _window(api, resource, start, end):
    return api.get(f"sobjects/Lead/{resource}/", params={"start": start, "end": end})


def test_updated_lists_ids_changed_in_the_window_and_the_latest_date_covered(api, sim, control):
    org = sim.org("acme")
    lead = org.rows("Lead", include_deleted=False)["Id"].iloc[0]
    control.call("POST", "/clock/advance", {"seconds": 120})
    start = org.clock.now().floor("min")
    org.edit("Lead", lead, {"Title": "Moved"})
    created = org.create("Lead", {"LastName": "New", "Company": "Co"})
    control.call("POST", "/clock/advance", {"seconds": 120})
    end = org.clock.now().floor("min")
    body = _window(api, "updated", start.isoformat(), (end + (end - start)).isoformat()).json()
    assert sorted(body["ids"]) == sorted([lead, created])
    assert body["latestDateCovered"] == end.strftime("%Y-%m-%dT%H:%M:00.000+0000")


def test_deleted_lists_deleted_records_with_deleted_date(api, sim, control):
    org = sim.org("acme")
    lead = org.rows("Lead", include_deleted=False)["Id"].iloc[0]
    control.call("POST", "/clock/advance", {"seconds": 60})
    start = org.clock.now().floor("min")
    org.delete("Lead", lead)
    deleted_at = org.record("Lead", lead)["SystemModstamp"]
    control.call("POST", "/clock/advance", {"seconds": 120})
    body = _window(api, "deleted", start.isoformat(), org.clock.now().isoformat()).json()
    assert body["deletedRecords"] == [{"id": lead, "deletedDate": deleted_at.strftime("%Y-%m-%dT%H:%M:%S.")
                                       + f"{deleted_at.microsecond // 1000:03d}+0000"}]
    assert set(body) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}


def test_start_not_before_end_is_invalid_replication_date(api):
    reply = _window(api, "updated", "2026-06-01T10:00:00+00:00", "2026-06-01T10:00:30+00:00")
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_start_more_than_30_days_back_is_invalid_replication_date(api):
    reply = _window(api, "deleted", "2026-04-01T00:00:00Z", "2026-06-01T00:00:00Z")
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
