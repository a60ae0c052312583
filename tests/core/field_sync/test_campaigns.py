"""F6: campaigns both ways, by the source algorithm, on a fixture worked out by hand.

CRM   A "Spring Launch" (Mar)     linked to app k1 "Spring launch" (Feb): the CRM is newer
      B "Webinar" In Progress (Jan)  linked to app k2, Completed (Mar): the app is newer
      C "Trade Show" (Feb)        not in the app: inserted
      D deleted (Mar)             not in the app: ignored
      E "Old Promo" (Jan)         not in the app, unchanged since the last sync (Jan 15): not inserted
App   k3 active, no CRM id: created in the CRM; k4 inactive and k5 unnamed, no CRM id: left alone
"""

import pandas as pd

from crm_pipelines.core.field_sync import apply_campaign_changes, sync_campaigns
from tests.core.field_sync.sync_fixtures import FEB, JAN, MAR, changes

A, B, C, D, E = (f"70100000000000{x}AAA" for x in "ABCDE")
SINCE = pd.Timestamp("2024-01-15T00:00:00Z")


def crm_campaigns(*rows):
    frame = pd.DataFrame(rows, columns=["id", "name", "status", "is_active", "start_date", "is_deleted",
                                        "last_modified_date"])
    frame["last_modified_date"] = pd.to_datetime(frame["last_modified_date"], utc=True)
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.NaT
    return frame


def app_campaigns(*rows):
    frame = pd.DataFrame(rows, columns=["campaign_id", "crm_campaign_id", "name", "status", "is_active", "start_date",
                                        "updated_at"])
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.NaT
    frame["type"] = pd.NA
    frame["created_at"] = frame["updated_at"]
    return frame


CRM = crm_campaigns(
    (A, "Spring Launch", "Planned", True, "2024-04-01", False, MAR),
    (B, "Webinar", "In Progress", True, "2024-02-01", False, JAN),
    (C, "Trade Show", "Planned", False, None, False, FEB),
    (D, "Gone", "Aborted", False, None, True, MAR),
    (E, "Old Promo", "Completed", False, None, False, JAN),
)
APP = app_campaigns(
    ("k1", A, "Spring launch", "Planned", True, "2024-04-01", FEB),
    ("k2", B, "Webinar", "Completed", True, "2024-02-01", MAR),
    ("k3", None, "Summer Promo", "Planned", True, "2024-06-01", MAR),
    ("k4", None, "Dormant", "Planned", False, None, MAR),
    ("k5", None, None, "Planned", True, None, MAR),
)


def test_a_campaign_newer_in_the_crm_updates_the_app():
    inbound = sync_campaigns(APP, CRM, since=SINCE).inbound
    assert changes(inbound, "app_id", "field", "old_value", "new_value", "reason", reason="crm_newer") == [
        ("k1", "name", "Spring launch", "Spring Launch", "crm_newer")]


def test_a_campaign_newer_in_the_app_updates_the_crm():
    outbound = sync_campaigns(APP, CRM, since=SINCE).outbound
    assert changes(outbound, "crm_id", "crm_field", "old_value", "new_value", "reason", reason="app_newer") == [
        (B, "Status", "In Progress", "Completed", "app_newer")]


def test_a_crm_campaign_changed_since_the_last_sync_and_unknown_to_the_app_is_inserted():
    inbound = sync_campaigns(APP, CRM, since=SINCE).inbound
    assert changes(inbound, "app_id", "field", "new_value", reason="created_in_crm") == [
        ("crm-" + C, "crm_campaign_id", C),
        ("crm-" + C, "name", "Trade Show"),
        ("crm-" + C, "status", "Planned"),
        ("crm-" + C, "is_active", "false"),
    ]


def test_active_app_campaigns_without_a_crm_id_are_created_in_the_crm():
    outbound = sync_campaigns(APP, CRM, since=SINCE).outbound
    assert changes(outbound, "app_id", "crm_id", "crm_field", "new_value", reason="new_campaign") == [
        ("k3", None, "Name", "Summer Promo"),
        ("k3", None, "Status", "Planned"),
        ("k3", None, "IsActive", "true"),
        ("k3", None, "StartDate", "2024-06-01"),
    ]


def test_applying_the_campaign_changes_inserts_and_updates_and_twice_is_once():
    inbound = sync_campaigns(APP, CRM, since=SINCE).inbound
    once = apply_campaign_changes(APP, inbound)
    assert once.loc[once["campaign_id"] == "k1", "name"].tolist() == ["Spring Launch"]
    assert once.loc[once["campaign_id"] == "crm-" + C, ["crm_campaign_id", "name"]].values.tolist() == [[C, "Trade Show"]]
    pd.testing.assert_frame_equal(once, apply_campaign_changes(once, inbound))
