"""The push plans read only their rows of outbound_field_changes (issue 17: at a seeded first
connection each plan read all 120,000 rows of it): the IO manager's READ_ROWS picks them in SQL,
and each plan's items from those rows equal its items from the whole table, on SQLite and
PostgreSQL, for one tenant and never another's rows."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.assets.outbound import (
    _CAMPAIGN_CHANGES,
    _LEAD_SCORE_CHANGES,
    _LINKED_CHANGES,
    _NEW_LEAD_CHANGES,
    _TWO_WAY_CHANGES,
)
from crm_pipelines.core.outbound import campaign_items, field_update_items, new_lead_items
from crm_pipelines.core.outbound.contact_pushes import _two_way_changes
from crm_pipelines.store.io_manager import READ_COLUMNS, READ_ROWS, read_tenant_partition, write_tenant_partition
from crm_pipelines.store.tables import outbound_field_changes

AT = pd.Timestamp("2026-11-20", tz="UTC")
LEAD, CONTACT, ACCOUNT, CAMPAIGN = "00Q000000000001AAA", "003000000000001AAA", "001000000000001AAA", "701000000000001AAA"


def _changes() -> pd.DataFrame:
    rows = [
        # object, app_id, crm_type, crm_id, field, crm_field, field_type, old, new, reason
        ("prospect", "p-new", "Lead", None, "last_name", "LastName", "string", None, "Bee", "new_lead"),
        ("prospect", "p-new", "Lead", None, "company", "Company", "string", None, "Y", "new_lead"),
        ("prospect", "p-new", "Lead", None, "lead_score", "Lead_Score__c", "number", None, "20", "new_lead"),
        ("prospect", "p-lead", "Lead", LEAD, "lead_score", "Lead_Score__c", "number", "10", "40", "push"),
        ("prospect", "p-contact", "Contact", CONTACT, "title", "Title", "string", "VP", "CEO", "conflict_app_newer"),
        ("prospect", "p-contact", "Contact", CONTACT, "lead_score", "Lead_Score__c", "number", None, "70", "push"),
        ("company", "c-1", "Account", ACCOUNT, "website", "Website", "string", None, "x.test", "app_newer"),
        ("campaign", "cmp-new", "Campaign", None, "name", "Name", "string", None, "Spring", "new_campaign"),
        ("campaign", "cmp-1", "Campaign", CAMPAIGN, "status", "Status", "string", "Planned", "Active", "app_newer"),
    ]
    frame = pd.DataFrame(rows, columns=["object", "app_id", "crm_type", "crm_id", "field", "crm_field", "field_type",
                                        "old_value", "new_value", "reason"])
    return frame.assign(at=AT).rename_axis("position").reset_index()


def _read(db, tenant: str, ins: dict) -> pd.DataFrame:
    metadata = ins["outbound_field_changes"].metadata
    return read_tenant_partition(db, outbound_field_changes, tenant, columns=metadata.get(READ_COLUMNS),
                                 rows=metadata[READ_ROWS])


def test_each_plan_gets_from_its_rows_what_it_gets_from_the_whole_table(db):
    write_tenant_partition(db, outbound_field_changes, "acme", _changes())
    # Another tenant's rows of every kind, which no read may return.
    write_tenant_partition(db, outbound_field_changes, "globex", _changes().assign(app_id=lambda f: "g-" + f["app_id"]))
    whole = read_tenant_partition(db, outbound_field_changes, "acme")
    owners = pd.DataFrame({"prospect_id": ["p-new"], "owner_user_id": ["u-1"]})
    crm_users = pd.Series({"u-1": "005000000000001AAA"})
    plans = [
        (_NEW_LEAD_CHANGES, lambda c: new_lead_items(c, owners, crm_user_of=crm_users), 1),
        (_LEAD_SCORE_CHANGES, lambda c: field_update_items(c, lead_score=True), 2),
        (_LINKED_CHANGES, lambda c: field_update_items(c, lead_score=False), 2),
        (_CAMPAIGN_CHANGES, campaign_items, 2),
    ]
    for ins, plan, expected in plans:
        rows = _read(db, "acme", ins)
        assert len(rows) < len(whole) and not rows["app_id"].str.startswith("g-").any()
        items = plan(rows)
        assert len(items) == expected
        pd.testing.assert_frame_equal(items, plan(whole))
    two_way = _read(db, "acme", _TWO_WAY_CHANGES)
    assert list(two_way.columns) == ["object", "app_id", "crm_id", "crm_field"]
    assert _two_way_changes(two_way).equals(_two_way_changes(whole))
