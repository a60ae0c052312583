"""P3, P5, P6, P7: the field sync's outbound change rows as one push item per record."""

import pandas as pd

from crm_pipelines.core.outbound import campaign_items, field_update_items, new_lead_items

LEAD = "00Q000000000001AAA"


def _change(**row) -> dict:
    base = {"object": "prospect", "app_id": "p-1", "crm_type": "Lead", "crm_id": LEAD, "field": "title",
            "crm_field": "Title", "field_type": "string", "old_value": "Engineer", "new_value": "CTO",
            "reason": "app_newer"}
    return {**base, **row}


def _changes(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).astype("string")


def test_p3_a_new_lead_is_one_upsert_with_its_fields_and_its_app_owners_crm_user():
    changes = _changes(
        _change(app_id="p-9", crm_id=None, field="last_name", crm_field="LastName", old_value=None, new_value="Ng", reason="new_lead"),
        _change(app_id="p-9", crm_id=None, field="company", crm_field="Company", old_value=None, new_value="Initech", reason="new_lead"),
        _change(app_id="p-9", crm_id=None, field="lead_score", crm_field="Lead_Score__c", field_type="number",
                old_value=None, new_value="42", reason="new_lead"),
        _change(),  # an update of another prospect: not a new lead
    )
    prospects = pd.DataFrame({"prospect_id": ["p-9"], "owner_user_id": ["u-1"]})
    items = new_lead_items(changes, prospects, crm_user_of=pd.Series({"u-1": "005000000000001AAA"}))
    assert len(items) == 1
    item = items.iloc[0]
    assert (item["sobject"], item["operation"], item["external_id"], item["kind"]) == ("Lead", "upsert", "prospect:p-9", "new_lead")
    assert item["crm_id"] is pd.NA
    assert item["fields"] == {"LastName": "Ng", "Company": "Initech", "Lead_Score__c": 42, "OwnerId": "005000000000001AAA"}


def test_p5_and_p6_split_the_lead_score_from_the_other_fields_each_one_update_per_record():
    changes = _changes(
        _change(),
        _change(field="phone", crm_field="Phone", old_value="1", new_value="2"),
        _change(field="lead_score", crm_field="Lead_Score__c", field_type="number", old_value="10", new_value="55.5", reason="push"),
        _change(app_id="p-2", crm_type="Contact", crm_id="003000000000001AAA", field="opted_out",
                crm_field="HasOptedOutOfEmail", field_type="boolean", old_value="false", new_value="true"),
    )
    scores = field_update_items(changes, lead_score=True)
    assert scores[["sobject", "crm_id", "operation"]].values.tolist() == [["Lead", LEAD, "update"]]
    assert scores.iloc[0]["fields"] == {"Lead_Score__c": 55.5}
    others = field_update_items(changes, lead_score=False).set_index("external_id")
    assert others.loc["prospect:p-1", "fields"] == {"Title": "CTO", "Phone": "2"}
    assert others.loc["prospect:p-1", "old_values"] == {"Title": "Engineer", "Phone": "1"}
    assert others.loc["prospect:p-1", "app_fields"] == {"Title": "title", "Phone": "phone"}
    assert others.loc["prospect:p-2", "fields"] == {"HasOptedOutOfEmail": True}


def test_p6_an_empty_app_value_the_tenant_allows_is_sent_as_null():
    changes = _changes(_change(new_value=None))
    assert field_update_items(changes, lead_score=False).iloc[0]["fields"] == {"Title": None}


def test_p7_new_campaigns_are_upserted_and_linked_ones_updated():
    changes = _changes(
        {"object": "campaign", "app_id": "cmp-1", "crm_type": "Campaign", "crm_id": None, "field": "name",
         "crm_field": "Name", "field_type": "string", "old_value": None, "new_value": "Spring", "reason": "new_campaign"},
        {"object": "campaign", "app_id": "cmp-1", "crm_type": "Campaign", "crm_id": None, "field": "start_date",
         "crm_field": "StartDate", "field_type": "date", "old_value": None, "new_value": "2026-03-01", "reason": "new_campaign"},
        {"object": "campaign", "app_id": "cmp-2", "crm_type": "Campaign", "crm_id": "701000000000001AAA", "field": "is_active",
         "crm_field": "IsActive", "field_type": "boolean", "old_value": "true", "new_value": "false", "reason": "app_newer"},
    )
    items = campaign_items(changes).set_index("external_id")
    assert (items.loc["campaign:cmp-1", "operation"], items.loc["campaign:cmp-1", "kind"]) == ("upsert", "new_campaign")
    assert items.loc["campaign:cmp-1", "fields"] == {"Name": "Spring", "StartDate": "2026-03-01"}
    assert (items.loc["campaign:cmp-2", "operation"], items.loc["campaign:cmp-2", "crm_id"]) == ("update", "701000000000001AAA")
    assert items.loc["campaign:cmp-2", "fields"] == {"IsActive": False}
