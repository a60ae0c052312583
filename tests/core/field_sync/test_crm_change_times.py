"""F3, the CRM's side of a conflict: when a two-way field changed on both sides since the base,
the CRM's time is that field's own change time from the org's field history (LeadHistory,
ContactHistory, CampaignHistory) where the org tracks it, else the record's SystemModstamp
(LastModifiedDate only for a table without one).

The pair is test_three_way's: prospect p1 ↔ Contact C1, last synced with title CEO and phone 111.
"""

import pandas as pd

from crm_pipelines.core.field_sync import sync_campaigns
from tests.core.field_sync.sync_fixtures import FEB, MAR
from tests.core.field_sync.test_campaigns import app_campaigns, crm_campaigns
from tests.core.field_sync.test_three_way import APR, C1, K1, base, moved, three_way
from tests.core.field_sync.sync_fixtures import changes

T1, T2, T3 = FEB, MAR, APR


def history(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(CRM id, CRM field, when it last changed) rows, as the warehouse keeps them."""
    return pd.DataFrame({"crm_id": pd.Series([r[0] for r in rows], dtype="string"),
                         "field": pd.Series([r[1] for r in rows], dtype="string"),
                         "changed_at": pd.to_datetime([r[2] for r in rows], utc=True)})


# The CRM changed Title at t1 and Phone at t3 (so its record's SystemModstamp is t3); the app
# changed title at t2, t1 < t2 < t3.
APP_TITLE_AT_T2 = {"title": "CTO", "updated_at": T2}
CRM_TITLE_T1_PHONE_T3 = {"title": "VP", "phone": "222", "last_modified_date": T3, "system_modstamp": T3}


def test_with_field_history_the_apps_later_edit_of_a_field_beats_the_crms_earlier_edit_of_it():
    sync = three_way(APP_TITLE_AT_T2, CRM_TITLE_T1_PHONE_T3, field_times={"title": T2},
                     crm_field_times=history((C1, "Title", T1), (C1, "Phone", T3)))
    assert moved(sync, "title") == [("app_to_crm", "VP", "CTO", "conflict_app_newer")]
    assert moved(sync, "phone") == [("crm_to_app", "111", "222", "crm_newer")]


def test_without_field_history_the_crm_records_systemmodstamp_decides_the_conflict():
    # Documented: an org that tracks no history for Title only says its record changed at t3.
    sync = three_way(APP_TITLE_AT_T2, CRM_TITLE_T1_PHONE_T3, field_times={"title": T2})
    assert moved(sync, "title") == [("crm_to_app", "CTO", "VP", "conflict_crm_newer")]
    assert moved(sync, "phone") == [("crm_to_app", "111", "222", "crm_newer")]


def test_history_of_other_fields_or_records_leaves_the_field_on_the_records_time():
    sync = three_way(APP_TITLE_AT_T2, CRM_TITLE_T1_PHONE_T3, field_times={"title": T2},
                     crm_field_times=history((C1, "Phone", T3), ("003000000000009AAA", "Title", T1)))
    assert moved(sync, "title") == [("crm_to_app", "CTO", "VP", "conflict_crm_newer")]


def test_a_system_only_change_bumps_systemmodstamp_and_that_is_the_crms_time_not_lastmodifieddate():
    # A CRM user changed Title at t1 (LastModifiedDate t1); a system process touched the record at
    # t3 (SystemModstamp t3, LastModifiedDate unchanged); the app changed title at t2.
    crm = {"title": "VP", "last_modified_date": T1, "system_modstamp": T3}
    sync = three_way(APP_TITLE_AT_T2, crm, field_times={"title": T2})
    assert moved(sync, "title") == [("crm_to_app", "CTO", "VP", "conflict_crm_newer")]
    # The field's own history is more precise than either record time.
    tracked = three_way(APP_TITLE_AT_T2, crm, field_times={"title": T2}, crm_field_times=history((C1, "Title", T1)))
    assert moved(tracked, "title") == [("app_to_crm", "VP", "CTO", "conflict_app_newer")]


def test_a_history_time_after_the_extracted_record_is_capped_at_the_records_time():
    # History read after the record: a change the extracted values do not hold yet is not its time.
    crm = {"title": "VP", "last_modified_date": T1, "system_modstamp": T1}
    sync = three_way(APP_TITLE_AT_T2, crm, field_times={"title": T2}, crm_field_times=history((C1, "Title", T3)))
    assert moved(sync, "title") == [("app_to_crm", "VP", "CTO", "conflict_app_newer")]


def test_campaign_history_decides_a_campaign_conflict_too():
    crm = crm_campaigns((K1, "Spring sale", "In Progress", True, "2024-04-01", False, T3))
    app = app_campaigns(("k1", K1, "Spring launch", "Planned", True, "2024-04-01", T2))
    synced = base("campaign", "k1", K1, name="Spring", status="Planned")
    without = sync_campaigns(app, crm, base=synced)
    assert changes(without.inbound, "field", "old_value", "new_value", "reason") == [
        ("name", "Spring launch", "Spring sale", "conflict_crm_newer"), ("status", "Planned", "In Progress", "crm_newer")]
    tracked = sync_campaigns(app, crm, base=synced, crm_field_times=history((K1, "Name", T1), (K1, "Status", T3)))
    assert changes(tracked.outbound, "field", "old_value", "new_value", "reason") == [
        ("name", "Spring sale", "Spring launch", "conflict_app_newer")]
