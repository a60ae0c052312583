"""Record writes: single-record resources, upsert by external id, sObject Collections, validations."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.sim.ids import make_id

# Well-formed ids (right prefix and checksum) of records that do not exist.
NO_CONTACT = make_id("003", 7, "zz")
NO_USER = make_id("005", 7, "zz")
NO_LEAD = make_id("00Q", 7, "zz")


def _lead(**extra):
    return {"LastName": "Lovelace", "Company": "Analytical Engines", **extra}


def _error(reply):
    return reply.json()[0]


# -- single records ---------------------------------------------------------------------------
def test_create_answers_201_with_the_new_id(api, sim):
    reply = api.post("sobjects/Lead/", json=_lead(FirstName="Ada"))
    assert reply.status_code == 201
    body = reply.json()
    assert body == {"id": body["id"], "success": True, "errors": []}
    assert body["id"].startswith("00Q") and len(body["id"]) == 18


def test_create_computes_name_and_defaults_owner_and_system_stamps(api, sim):
    org = sim.org("acme")
    before = org.clock.now()
    record_id = api.post("sobjects/Lead/", json=_lead(FirstName="Ada")).json()["id"]
    record = org.record("Lead", record_id)
    assert record["Name"] == "Ada Lovelace"
    assert record["OwnerId"] == org.integration_user_id()
    assert record["Status"] == "Open - Not Contacted"
    assert record["CreatedDate"] == record["LastModifiedDate"] == record["SystemModstamp"]
    assert before <= record["SystemModstamp"] <= org.clock.now()
    assert record["SystemModstamp"].microsecond % 1000 == 0


def test_write_stamps_never_go_backwards(api, sim):
    stamps = [sim.org("acme").record("Lead", api.post("sobjects/Lead/", json=_lead()).json()["id"])["SystemModstamp"]
              for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5


def test_get_returns_every_field_or_the_fields_asked_for(api):
    record_id = api.post("sobjects/Lead/", json=_lead(Email="ada@engines.example")).json()["id"]
    full = api.get(f"sobjects/Lead/{record_id}").json()
    assert full["Email"] == "ada@engines.example" and "Lead_Score__c" in full
    some = api.get(f"sobjects/Lead/{record_id}", params={"fields": "Email,Company"}).json()
    assert some == {"attributes": {"type": "Lead", "url": f"/services/data/v60.0/sobjects/Lead/{record_id}"},
                    "Email": "ada@engines.example", "Company": "Analytical Engines"}


def test_update_answers_204_and_bumps_system_modstamp(api, sim):
    record_id = api.post("sobjects/Lead/", json=_lead()).json()["id"]
    created = sim.org("acme").record("Lead", record_id)["SystemModstamp"]
    reply = api.patch(f"sobjects/Lead/{record_id}", json={"Title": "Countess"})
    assert reply.status_code == 204 and reply.content == b""
    record = sim.org("acme").record("Lead", record_id)
    assert record["Title"] == "Countess"
    assert record["SystemModstamp"] > created and record["CreatedDate"] == created


def test_delete_answers_204_and_a_second_delete_404_entity_is_deleted(api):
    record_id = api.post("sobjects/Lead/", json=_lead()).json()["id"]
    assert api.delete(f"sobjects/Lead/{record_id}").status_code == 204
    again = api.delete(f"sobjects/Lead/{record_id}")
    assert again.status_code == 404
    assert _error(again)["errorCode"] == "ENTITY_IS_DELETED"
    read = api.get(f"sobjects/Lead/{record_id}")
    assert (read.status_code, _error(read)["errorCode"]) == (404, "ENTITY_IS_DELETED")


def test_unknown_record_is_404_not_found(api):
    reply = api.get(f"sobjects/Lead/{NO_LEAD}")
    assert reply.status_code == 404
    assert reply.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


# -- validations ------------------------------------------------------------------------------
def test_lead_needs_last_name_and_company(api):
    reply = api.post("sobjects/Lead/", json={"FirstName": "Ada"})
    assert reply.status_code == 400
    assert reply.json() == [{"message": "Required fields are missing: [LastName, Company]",
                             "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]


def test_contact_needs_last_name_campaign_name_and_task_nothing(api):
    assert _error(api.post("sobjects/Contact/", json={"FirstName": "A"}))["fields"] == ["LastName"]
    assert _error(api.post("sobjects/Campaign/", json={"Type": "Webinar"}))["fields"] == ["Name"]
    assert api.post("sobjects/Task/", json={}).status_code == 201


def test_unknown_field_is_400_invalid_field(api):
    reply = api.post("sobjects/Lead/", json=_lead(Shoe_Size__c=42))
    assert reply.status_code == 400
    assert reply.json() == [{"message": "No such column 'Shoe_Size__c' on sobject of type Lead",
                             "errorCode": "INVALID_FIELD"}]


def test_computed_field_cannot_be_written(api):
    error = _error(api.post("sobjects/Lead/", json=_lead(Name="Ada L")))
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE" and error["fields"] == ["Name"]


def test_reference_to_a_missing_record_is_invalid_cross_reference_key(api):
    error = _error(api.post("sobjects/Task/", json={"WhoId": NO_CONTACT}))
    assert error == {"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY",
                     "fields": ["WhoId"]}
    owner = _error(api.post("sobjects/Lead/", json=_lead(OwnerId=NO_USER)))
    assert owner["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_converted_lead_cannot_be_updated(api, sim):
    org = sim.org("acme")
    record_id = api.post("sobjects/Lead/", json=_lead()).json()["id"]
    org.convert_lead(record_id)
    reply = api.patch(f"sobjects/Lead/{record_id}", json={"Title": "Countess"})
    assert reply.status_code == 400
    assert reply.json() == [{"message": "cannot reference converted lead",
                             "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": []}]


def test_duplicate_external_id_is_duplicate_value(api):
    first = api.post("sobjects/Contact/", json={"LastName": "A", "App_External_Id__c": "app-1"}).json()["id"]
    error = _error(api.post("sobjects/Contact/", json={"LastName": "B", "App_External_Id__c": "APP-1"}))
    assert error == {"errorCode": "DUPLICATE_VALUE", "fields": ["App_External_Id__c"],
                     "message": f"duplicate value found: App_External_Id__c duplicates value on record with id: {first}"}


def test_org_validation_rule_rejects_matching_records_for_good(api, control):
    control.call("POST", "/validation-rules", {"sobject": "Lead", "field": "Email", "test": "endswith",
                                                "value": "@invalid.test", "message": "Use a real address."})
    for _ in range(2):
        reply = api.post("sobjects/Lead/", json=_lead(Email="ada@invalid.test"))
        assert reply.json() == [{"message": "Use a real address.",
                                 "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Email"]}]
    assert api.post("sobjects/Lead/", json=_lead(Email="ada@valid.example")).status_code == 201


def test_bad_email_and_too_long_text_are_refused(api):
    assert _error(api.post("sobjects/Lead/", json=_lead(Email="not-an-address")))["errorCode"] == "INVALID_EMAIL_ADDRESS"
    assert _error(api.post("sobjects/Lead/", json=_lead(LastName="x" * 81)))["errorCode"] == "STRING_TOO_LONG"


def test_malformed_reference_is_malformed_id(api):
    error = _error(api.post("sobjects/Task/", json={"WhoId": "003-not-an-id"}))
    assert (error["errorCode"], error["fields"]) == ("MALFORMED_ID", ["WhoId"])


def test_value_of_the_wrong_json_type_is_json_parser_error(api):
    reply = api.post("sobjects/Lead/", json=_lead(Lead_Score__c="high"))
    assert reply.status_code == 400 and _error(reply)["errorCode"] == "JSON_PARSER_ERROR"


# -- upsert by external id --------------------------------------------------------------------
def test_upsert_creates_with_201_then_updates_with_200(api, sim):
    created = api.patch("sobjects/Contact/App_External_Id__c/app-7", json={"LastName": "Hopper"})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": True}
    updated = api.patch("sobjects/Contact/App_External_Id__c/app-7", json={"Title": "Rear Admiral"})
    assert updated.status_code == 200
    assert updated.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": False}
    record = sim.org("acme").record("Contact", created.json()["id"])
    assert (record["App_External_Id__c"], record["Title"]) == ("app-7", "Rear Admiral")


def test_upsert_update_answers_204_before_api_46(api):
    api.patch("sobjects/Contact/App_External_Id__c/app-8", json={"LastName": "Hopper"})
    assert api.patch("/services/data/v45.0/sobjects/Contact/App_External_Id__c/app-8",
                     json={"Title": "Admiral"}).status_code == 204


def test_upsert_matching_several_records_answers_300_with_their_urls(api, sim):
    org = sim.org("acme")
    first = org.create("Contact", {"LastName": "A", "App_External_Id__c": "twin"})
    second = org.create("Contact", {"LastName": "B"})
    org.edit("Contact", second, {"App_External_Id__c": "twin"})
    reply = api.patch("sobjects/Contact/App_External_Id__c/twin", json={"Title": "X"})
    assert reply.status_code == 300
    assert sorted(reply.json()) == sorted(f"/services/data/v60.0/sobjects/Contact/{i}" for i in (first, second))


def test_upsert_update_only_does_not_create(api):
    reply = api.patch("sobjects/Contact/App_External_Id__c/nobody", params={"updateOnly": "true"},
                      json={"LastName": "X"})
    assert reply.status_code == 404


def test_upsert_on_a_field_that_is_not_an_external_id_is_refused(api):
    reply = api.patch("sobjects/Contact/Email/a@b.example", json={"LastName": "X"})
    assert reply.status_code == 400 and _error(reply)["errorCode"] == "INVALID_FIELD"


def test_get_by_external_id(api):
    record_id = api.patch("sobjects/Contact/App_External_Id__c/app-9", json={"LastName": "Hopper"}).json()["id"]
    assert api.get("sobjects/Contact/App_External_Id__c/app-9").json()["Id"] == record_id


# -- sObject Collections ----------------------------------------------------------------------
def _records(*bodies, sobject="Contact"):
    return [{"attributes": {"type": sobject}, **body} for body in bodies]


def test_composite_create_answers_a_result_per_record_in_order(api, sim):
    reply = api.post("composite/sobjects", json={"allOrNone": False, "records": _records(
        {"LastName": "One"}, {"FirstName": "No last name"}, {"LastName": "Three"})})
    assert reply.status_code == 200
    results = reply.json()
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]",
        "fields": ["LastName"]}]}
    assert sim.org("acme").record("Contact", results[2]["id"])["LastName"] == "Three"


def test_composite_create_takes_mixed_types(api, sim):
    records = _records({"LastName": "C"}) + _records(_lead(), sobject="Lead")
    results = api.post("composite/sobjects", json={"records": records}).json()
    assert [r["id"][:3] for r in results] == ["003", "00Q"]


def test_all_or_none_rolls_back_a_batch_with_one_bad_record(api, sim):
    before = len(sim.org("acme").rows("Contact"))
    results = api.post("composite/sobjects", json={"allOrNone": True, "records": _records(
        {"LastName": "One"}, {"FirstName": "No last name"}, {"LastName": "Three"})}).json()
    assert [r["success"] for r in results] == [False, False, False]
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    rolled_back = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "fields": [],
                   "message": "Record rolled back because not all records were valid and the request "
                              "was using AllOrNone header"}
    assert results[0]["errors"] == [rolled_back] and results[2]["errors"] == [rolled_back]
    assert len(sim.org("acme").rows("Contact")) == before


def test_composite_update_by_id(api, sim):
    ids = [r["id"] for r in api.post("composite/sobjects", json={"records": _records(
        {"LastName": "One"}, {"LastName": "Two"})}).json()]
    results = api.patch("composite/sobjects", json={"records": _records(
        {"Id": ids[0], "Title": "First"}, {"Id": NO_CONTACT, "Title": "Nobody"})}).json()
    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert sim.org("acme").record("Contact", ids[0])["Title"] == "First"


def test_composite_upsert_run_twice_by_external_id_leaves_one_record(api, sim):
    batch = {"allOrNone": False, "records": _records(
        {"App_External_Id__c": "ext-1", "LastName": "One"},
        {"App_External_Id__c": "ext-2", "LastName": "Two"})}
    first = api.patch("composite/sobjects/Contact/App_External_Id__c", json=batch).json()
    second = api.patch("composite/sobjects/Contact/App_External_Id__c", json=batch).json()
    assert [r["created"] for r in first] == [True, True]
    assert [r["created"] for r in second] == [False, False]
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert sim.org("acme").external_id_counts("Contact") == {
        "ext-1": {"records": 1, "writes": 2, "creates": 1},
        "ext-2": {"records": 1, "writes": 2, "creates": 1}}


def test_composite_upsert_refuses_an_external_id_twice_in_one_batch(api):
    results = api.patch("composite/sobjects/Contact/App_External_Id__c", json={"records": _records(
        {"App_External_Id__c": "same", "LastName": "A"}, {"App_External_Id__c": "SAME", "LastName": "B"},
        {"App_External_Id__c": "other", "LastName": "C"})}).json()
    assert [r["success"] for r in results] == [False, False, True]
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"


def test_collections_take_at_most_200_records(api):
    reply = api.post("composite/sobjects", json={"records": _records(*[{"LastName": "X"}] * 201)})
    assert reply.status_code == 400
    assert reply.json() == [{"message": "record limit reached. cannot submit more than 200 records into this call",
                             "errorCode": "EXCEEDED_ID_LIMIT"}]


def test_composite_delete(api, sim):
    ids = [r["id"] for r in api.post("composite/sobjects", json={"records": _records(
        {"LastName": "One"}, {"LastName": "Two"})}).json()]
    results = api.delete("composite/sobjects", params={"ids": ",".join(ids), "allOrNone": "true"}).json()
    assert results == [{"id": i, "success": True, "errors": []} for i in ids]
    assert all(sim.org("acme").record("Contact", i)["IsDeleted"] for i in ids)


def test_batch_writes_share_one_system_modstamp(api, sim):
    ids = [r["id"] for r in api.post("composite/sobjects", json={"records": _records(
        {"LastName": "One"}, {"LastName": "Two"})}).json()]
    stamps = {sim.org("acme").record("Contact", i)["SystemModstamp"] for i in ids}
    assert len(stamps) == 1 and isinstance(stamps.pop(), pd.Timestamp)


def test_null_clears_a_checkbox(api, sim):
    record_id = api.post("sobjects/Contact/", json={"LastName": "Opted", "HasOptedOutOfEmail": True}).json()["id"]
    api.patch(f"sobjects/Contact/{record_id}", json={"HasOptedOutOfEmail": None})
    assert sim.org("acme").record("Contact", record_id)["HasOptedOutOfEmail"] is False


# -- Composite ----------------------------------------------------------------------------------
def _collection_subrequest(n: int, bodies: list[dict]) -> dict:
    return {"method": "PATCH", "url": "/services/data/v60.0/composite/sobjects/Contact/App_External_Id__c",
            "referenceId": f"c{n}", "body": {"allOrNone": False, "records": _records(*bodies)}}


def test_a_composite_of_collections_is_one_api_call_and_answers_each_collection_apart(api, sim):
    org = sim.org("acme")
    before = org.call_counts()
    subrequests = [_collection_subrequest(0, [{"App_External_Id__c": "cmp-1", "LastName": "One"},
                                              {"App_External_Id__c": "cmp-2", "FirstName": "No last name"}]),
                   _collection_subrequest(1, [{"App_External_Id__c": "cmp-3", "Retired_Field__c": "x"}]),
                   _collection_subrequest(2, [{"App_External_Id__c": "cmp-4", "LastName": "Four"}])]
    reply = api.post("composite", json={"allOrNone": False, "compositeRequest": subrequests})
    assert reply.status_code == 200
    answers = reply.json()["compositeResponse"]
    assert [(a["referenceId"], a["httpStatusCode"]) for a in answers] == [("c0", 200), ("c1", 400), ("c2", 200)]
    assert [r["success"] for r in answers[0]["body"]] == [True, False]
    assert answers[1]["body"][0]["errorCode"] == "INVALID_FIELD"
    assert sorted(org.external_id_counts("Contact")) == ["cmp-1", "cmp-4"]
    after = org.call_counts()
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {"composite": 1}


def test_a_composite_takes_at_most_five_collections(api, sim):
    subrequests = [_collection_subrequest(n, [{"App_External_Id__c": f"six-{n}", "LastName": "S"}]) for n in range(6)]
    reply = api.post("composite", json={"allOrNone": False, "compositeRequest": subrequests})
    assert reply.status_code == 400 and _error(reply)["errorCode"] == "INVALID_BATCH_REQUEST"
    assert not [k for k in sim.org("acme").external_id_counts("Contact") if k.startswith("six-")]
