"""F5: the app's read-only opportunity copies, linked to company, campaign and stage.

CRM  O1 "Big Deal" on Account A (company c1), campaign 701A (app k1), Prospecting, 1500 — copied as o1 (1000)
     O2 "New Deal" on Account B (company c2), stage "Negotiation/Review", unknown to the app
     O3 "Won One" on an Account no company holds, stage "closed won" (the app's "Closed Won")
     O4 deleted — its copy o4 is removed
"""

import pandas as pd

from crm_pipelines.core.field_sync import apply_opportunity_sync, new_opportunity_stages, stage_keys, sync_opportunities
from tests.core.field_sync.sync_fixtures import FEB, JAN, MAR, changes

O1, O2, O3, O4 = (f"00600000000000{i}AAA" for i in range(1, 5))
ACCOUNT_A, ACCOUNT_B, ACCOUNT_X = "001000000000000AAA", "001000000000001AAA", "001000000000009AAA"
CAMPAIGN = "701000000000000AAA"

CRM = pd.DataFrame({
    "id": [O1, O2, O3, O4],
    "name": ["Big Deal", "New Deal", "Won One", "Gone"],
    "account_id": [ACCOUNT_A, ACCOUNT_B, ACCOUNT_X, ACCOUNT_A],
    "campaign_id": [CAMPAIGN, None, None, None],
    "stage_name": ["Prospecting", "Negotiation/Review", "closed won", "Prospecting"],
    "amount": [1500.0, 200.0, None, 5.0],
    "close_date": pd.to_datetime(["2024-06-30", "2024-07-31", None, None]),
    "is_closed": [False, False, True, False],
    "is_won": [False, False, True, False],
    "is_deleted": [False, False, False, True],
    "last_modified_date": pd.to_datetime([MAR, MAR, FEB, MAR], utc=True),
})
APP = pd.DataFrame({
    "opportunity_id": ["o1", "o4"], "crm_opportunity_id": [O1, O4], "name": ["Big Deal", "Gone"],
    "company_id": ["c1", "c1"], "campaign_id": ["k1", None], "stage_id": ["s1", "s1"], "amount": [1000.0, 5.0],
    "probability": [None, None], "close_date": pd.to_datetime(["2024-06-30", None]), "is_closed": [False, False],
    "is_won": [False, False], "updated_at": pd.to_datetime([JAN, JAN], utc=True),
})
STAGES = pd.DataFrame({"stage_id": ["s1", "s2"], "name": ["Prospecting", "Closed Won"], "is_closed": [False, True],
                       "is_won": [False, True]})
COMPANIES = pd.DataFrame({"crm_account_id": [ACCOUNT_A, ACCOUNT_B], "company_id": ["c1", "c2"]})
CAMPAIGNS = pd.DataFrame({"campaign_id": ["k1"], "crm_campaign_id": [CAMPAIGN]})


def sync():
    return sync_opportunities(CRM, APP, STAGES, company_of_account=COMPANIES, app_campaigns=CAMPAIGNS)


def test_stage_names_compare_ignoring_case_spaces_and_punctuation():
    assert stage_keys(pd.Series(["Closed Won", "closed-won", " Negotiation/Review ", ""])).tolist() == [
        "closed-won", "closed-won", "negotiation-review", pd.NA]


def test_an_unknown_stage_is_created_in_the_app():
    result = sync()
    assert result.new_stages.to_dict("records") == [
        {"stage_id": "crm-negotiation-review", "name": "Negotiation/Review", "is_closed": False, "is_won": False}]
    assert changes(result.changes, "object", "app_id", "field", "new_value", reason="created_in_crm",
                   field="name")[0] == ("opportunity_stage", "crm-negotiation-review", "name", "Negotiation/Review")


def test_new_opportunities_are_copied_with_their_company_campaign_and_stage():
    rows = changes(sync().changes, "app_id", "field", "new_value", reason="created_in_crm")
    assert [r for r in rows if r[0] == "crm-" + O2] == [
        ("crm-" + O2, "crm_opportunity_id", O2),
        ("crm-" + O2, "name", "New Deal"),
        ("crm-" + O2, "amount", "200"),
        ("crm-" + O2, "close_date", "2024-07-31"),
        ("crm-" + O2, "company_id", "c2"),
        ("crm-" + O2, "stage_id", "crm-negotiation-review"),
        ("crm-" + O2, "is_closed", "false"),
        ("crm-" + O2, "is_won", "false"),
    ]
    assert ("crm-" + O3, "stage_id", "s2") in rows
    assert ("crm-" + O3, "company_id") not in {r[:2] for r in rows}  # its Account matches no company


def test_an_existing_copy_takes_the_crm_values():
    assert changes(sync().changes, "app_id", "field", "old_value", "new_value", "reason", reason="pull") == [
        ("o1", "amount", "1000", "1500", "pull")]


def test_copies_of_deleted_opportunities_are_removed_and_applying_twice_is_once():
    result = sync()
    assert result.removed.to_dict("records") == [{"opportunity_id": "o4", "crm_opportunity_id": O4}]
    assert changes(result.changes, "app_id", "crm_id", "field", "reason", reason="deleted_in_crm") == [
        ("o4", O4, None, "deleted_in_crm")]
    copies, stages = apply_opportunity_sync(APP, STAGES, result)
    assert sorted(copies["opportunity_id"]) == ["crm-" + O2, "crm-" + O3, "o1"]
    assert stages["stage_id"].tolist() == ["s1", "s2", "crm-negotiation-review"]
    again = apply_opportunity_sync(copies, stages, result)
    pd.testing.assert_frame_equal(again[0], copies)
    pd.testing.assert_frame_equal(again[1], stages)


def test_the_stages_of_the_whole_org_synced_a_part_at_a_time_are_the_stages_of_syncing_it_whole():
    """A stage named by opportunities in two parts takes the flags of its most recently modified
    one whichever part it is in; each part, given the stages after, creates none again."""
    crm = CRM.assign(stage_name=["Prospecting", "Verbal Commit", "closed won", "Prospecting"])
    crm.loc[0, "stage_name"] = "verbal-commit"
    crm.loc[0, ["is_closed", "is_won"]] = [True, True]
    whole = sync_opportunities(crm, APP, STAGES, company_of_account=COMPANIES, app_campaigns=CAMPAIGNS)
    found = new_opportunity_stages(crm[["id", "stage_name", "is_closed", "is_won", "last_modified_date", "is_deleted"]],
                                   STAGES)
    pd.testing.assert_frame_equal(found.new_stages, whole.new_stages)
    assert found.new_stages["is_won"].tolist() == [True]  # O1, modified in March, before O2 in key order
    stages = found.stages_after(STAGES)
    assert found.stages_after(stages) is stages
    parts = [sync_opportunities(crm.iloc[rows], APP, stages, company_of_account=COMPANIES, app_campaigns=CAMPAIGNS)
             for rows in ([0, 1], [2, 3])]
    assert all(part.new_stages.empty for part in parts)
    changes = pd.concat([found.changes, *(part.changes for part in parts)], ignore_index=True)
    columns = ["object", "app_id", "field", "new_value", "reason"]
    expected = whole.changes[columns].astype("string").sort_values(columns, ignore_index=True)
    pd.testing.assert_frame_equal(changes[columns].astype("string").sort_values(columns, ignore_index=True), expected)
