"""`/limits/recordCount`: the org's record count per object, as a client sizes a read before
choosing REST or Bulk; deleted records are not counted."""

from __future__ import annotations


def test_record_counts_name_each_asked_object_and_leave_out_deleted_and_unknown_ones(api, control, sim):
    counts = api.get("limits/recordCount", params={"sObjects": "Lead,Contact,NoSuchThing"}).json()["sObjects"]
    by_name = {entry["name"]: entry["count"] for entry in counts}
    assert set(by_name) == {"Lead", "Contact"}
    live_leads = api.query("SELECT Id FROM Lead")
    assert by_name["Lead"] == len(live_leads)

    api.delete(f"sobjects/Lead/{live_leads[0]['Id']}").raise_for_status()
    again = api.get("limits/recordCount", params={"sObjects": "Lead"}).json()["sObjects"]
    assert again == [{"count": len(live_leads) - 1, "name": "Lead"}]


def test_without_a_list_every_object_of_the_org_is_counted(api):
    names = [entry["name"] for entry in api.get("limits/recordCount").json()["sObjects"]]
    assert {"Account", "Contact", "Lead", "Opportunity", "User"} <= set(names)
