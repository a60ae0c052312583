"""Field history (LeadHistory, ContactHistory, CampaignHistory) as Salesforce keeps it: the org
chooses which fields of an object it tracks (at most 20), each save that changes a tracked field
writes one row (the record's id in LeadId/ContactId/CampaignId, Field, OldValue, NewValue,
CreatedDate on the org clock, CreatedById), and describe shows an object's history only while
the org tracks some of its fields."""

from __future__ import annotations

import pandas as pd

HISTORY_FIELDS = "Id, LeadId, Field, OldValue, NewValue, CreatedDate, CreatedById, IsDeleted"


def _lead(sim) -> str:
    return str(sim.org("acme").rows("Lead", include_deleted=False)["Id"].iloc[0])


def _history(api, lead: str) -> list[dict]:
    rows = api.query(f"SELECT {HISTORY_FIELDS} FROM LeadHistory WHERE LeadId = '{lead}' ORDER BY CreatedDate, Id",
                     all_rows=True)
    return [{k: v for k, v in r.items() if k != "attributes"} for r in rows]


def test_describe_shows_an_objects_history_only_while_the_org_tracks_some_of_its_fields(api, control):
    def listed() -> set[str]:
        return {o["name"] for o in api.get("sobjects").json()["sobjects"]} & {"LeadHistory", "ContactHistory"}

    def children() -> list[str]:
        return [c["childSObject"] for c in api.get("sobjects/Lead/describe").json()["childRelationships"]]

    assert listed() == set() and children() == []
    assert api.get("sobjects/LeadHistory/describe").status_code == 404
    assert control.call("PUT", "/field-history", {"sobject": "Lead", "fields": ["Title", "Phone"]}) == {
        "Lead": ["Title", "Phone"]}
    assert listed() == {"LeadHistory"} and children() == ["LeadHistory"]
    fields = {f["name"]: f["type"] for f in api.get("sobjects/LeadHistory/describe").json()["fields"]}
    assert fields == {"Id": "id", "IsDeleted": "boolean", "LeadId": "reference", "CreatedById": "reference",
                      "CreatedDate": "datetime", "Field": "picklist", "OldValue": "anyType", "NewValue": "anyType"}
    control.call("PUT", "/field-history", {"sobject": "Lead", "fields": []})
    assert listed() == set()


def test_each_save_writes_one_row_per_tracked_field_it_changed_stamped_with_the_org_clock(api, sim, control):
    org = sim.org("acme")
    lead = _lead(sim)
    before = org.record("Lead", lead)
    control.call("PUT", "/field-history", {"sobject": "Lead", "fields": ["Title", "Phone"]})
    control.call("POST", "/clock/advance", {"seconds": 60})
    assert api.patch(f"sobjects/Lead/{lead}", json={"Title": "Chief Widget Officer", "City": "Lyon",
                                                      "Phone": before["Phone"]}).status_code == 204
    saved = org.record("Lead", lead)
    control.call("POST", "/clock/advance", {"seconds": 60})
    control.call("PATCH", f"/sobjects/Lead/{lead}", {"Phone": "+1 555 0199"})

    rows = _history(api, lead)
    assert [(r["LeadId"], r["Field"], r["OldValue"], r["NewValue"], r["IsDeleted"]) for r in rows] == [
        (lead, "Title", before["Title"], "Chief Widget Officer", False),
        (lead, "Phone", before["Phone"], "+1 555 0199", False)]
    # City is not tracked; Phone was sent unchanged the first time: no row for either.
    assert pd.Timestamp(rows[0]["CreatedDate"]) == saved["SystemModstamp"].floor("ms")
    assert pd.Timestamp(rows[1]["CreatedDate"]) == org.record("Lead", lead)["SystemModstamp"].floor("ms")
    assert rows[0]["CreatedById"] == org.integration_user_id()
    assert all(r["Id"].startswith("017") and len(r["Id"]) == 18 for r in rows)
    assert len({r["Id"] for r in rows}) == 2


def test_history_is_per_object_and_queryable_incrementally_by_created_date(api, sim, control):
    org = sim.org("acme")
    lead = _lead(sim)
    contact = str(org.rows("Contact", include_deleted=False)["Id"].iloc[0])
    control.call("PUT", "/field-history", {"sobject": "Lead", "fields": ["Title"]})
    control.call("PUT", "/field-history", {"sobject": "Contact", "fields": ["Title"]})
    control.call("PATCH", f"/sobjects/Lead/{lead}", {"Title": "First"})
    cut = org.clock.now()
    control.call("POST", "/clock/advance", {"seconds": 60})
    control.call("PATCH", f"/sobjects/Lead/{lead}", {"Title": "Second"})
    control.call("PATCH", f"/sobjects/Contact/{contact}", {"Title": "Contact's"})

    since = cut.strftime("%Y-%m-%dT%H:%M:%S.") + f"{cut.microsecond // 1000:03d}Z"
    later = api.query(f"SELECT LeadId, Field, NewValue FROM LeadHistory WHERE CreatedDate > {since} "
                      "AND Field IN ('Title')")
    assert [(r["LeadId"], r["NewValue"]) for r in later] == [(lead, "Second")]
    contacts = api.query("SELECT ContactId, Field, NewValue FROM ContactHistory")
    assert [(r["ContactId"], r["Field"], r["NewValue"]) for r in contacts] == [(contact, "Title", "Contact's")]


def test_a_created_record_gets_a_created_row_and_history_rows_cannot_be_written(api, sim, control):
    control.call("PUT", "/field-history", {"sobject": "Campaign", "fields": ["Name", "Status"]})
    reply = api.post("sobjects/Campaign", json={"Name": "Autumn"})
    campaign = reply.json()["id"]
    rows = api.query(f"SELECT CampaignId, Field, OldValue, NewValue FROM CampaignHistory WHERE CampaignId = '{campaign}'")
    assert [(r["CampaignId"], r["Field"], r["OldValue"], r["NewValue"]) for r in rows] == [
        (campaign, "created", None, None)]
    assert api.post("sobjects/CampaignHistory", json={"Field": "Name"}).status_code == 400


def test_only_editable_fields_of_an_object_that_has_history_can_be_tracked(sim, control):
    # (Salesforce's limit of 20 per object is checked too; no simulated object has more editable fields.)
    org = sim.org("acme")
    editable = [f.name for f in org.table("Lead").schema.fields if f.updateable]
    for fields, message in ((["Name"], "not an editable field"), (["Nope__c"], "no field")):
        reply = control.session.put(f"{control.base}/field-history", json={"sobject": "Lead", "fields": fields})
        assert reply.status_code == 400 and message in reply.json()["error"]
    reply = control.session.put(f"{control.base}/field-history", json={"sobject": "Account", "fields": ["Name"]})
    assert reply.status_code == 400
    assert org.track_field_history("Lead", editable) == tuple(editable)
