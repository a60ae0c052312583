"""F3, three-way: each two-way field is compared with the value both sides last agreed on (the
base). A side that did not change a field since the base never overwrites it; a field changed on
one side goes to the other; a field changed on both goes to the side that changed it more
recently, logged as a conflict with both values. With no base yet, the newer record wins.

The pair: prospect p1 ↔ Contact C1, last synced with title CEO and phone 111.
"""

import pandas as pd

from crm_pipelines.core.field_sync import sync_campaigns, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from tests.core.field_sync.sync_fixtures import C1, FEB, JAN, MAR, changes
from tests.core.field_sync.test_campaigns import app_campaigns, crm_campaigns
from tests.core.matching.crm_fixtures import contacts, leads, prospects

APR = "2024-04-01T00:00:00Z"
SYNCED = {"title": "CEO", "phone": "111", "email": "ann@x.com", "persona": "Buyer"}
PROSPECT = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "title": "CEO",
            "phone": "111", "persona": "Buyer", "updated_at": JAN}
CONTACT = {"id": C1, "email": "ann@x.com", "title": "CEO", "phone": "111", "last_modified_date": JAN,
           "mapped_fields": {"Persona__c": "Buyer"}}


def base(object: str = "prospect", app_id: str = "p1", crm_id: str = C1, **values: str | None) -> pd.DataFrame:
    values = values or SYNCED
    return pd.DataFrame({"object": object, "app_id": app_id, "crm_id": crm_id, "field": list(values),
                         "value": pd.Series(list(values.values()), dtype="string")})


def three_way(prospect: dict, contact: dict, *, field_times: dict | None = None, synced: pd.DataFrame | None = None,
              mappings=None, crm_field_times: pd.DataFrame | None = None, **switches: bool):
    app = prospects({**PROSPECT, **prospect})
    app["field_changed_at"] = pd.Series([field_times], dtype=object)
    crm = contacts({**CONTACT, **contact})
    matched = match_prospects(app, leads(), crm).matched
    kw = {} if mappings is None else {"mappings": mappings}
    if crm_field_times is not None:
        kw["crm_field_times"] = crm_field_times
    return sync_prospects(matched, app, leads(), crm, settings=ConnectorSettings(**switches),
                          base=base() if synced is None else synced, **kw)


def moved(sync, field: str) -> list[tuple]:
    """(direction, old, new, reason) of every change to `field`, both ways."""
    return [row for frame in (sync.inbound, sync.outbound)
            for row in changes(frame, "direction", "old_value", "new_value", "reason", field=field)]


def test_a_field_neither_side_changed_moves_nowhere_whatever_the_clocks():
    sync = three_way({"updated_at": APR}, {"last_modified_date": MAR})
    assert sync.inbound.empty and sync.outbound.empty


def test_a_field_only_the_app_changed_goes_to_the_crm_even_when_the_crm_record_is_newer():
    sync = three_way({"title": "CTO", "updated_at": FEB}, {"last_modified_date": MAR})
    assert moved(sync, "title") == [("app_to_crm", "CEO", "CTO", "app_newer")]


def test_a_field_only_the_crm_changed_comes_to_the_app_even_when_the_app_record_is_newer():
    sync = three_way({"updated_at": APR}, {"title": "CTO", "last_modified_date": MAR})
    assert moved(sync, "title") == [("crm_to_app", "CEO", "CTO", "crm_newer")]


def test_each_side_changed_a_different_field_and_both_edits_survive_whichever_is_newer():
    for app_at, crm_at in ((FEB, MAR), (MAR, FEB)):
        sync = three_way({"title": "CTO", "updated_at": app_at}, {"phone": "222", "last_modified_date": crm_at})
        assert moved(sync, "title") == [("app_to_crm", "CEO", "CTO", "app_newer")]
        assert moved(sync, "phone") == [("crm_to_app", "111", "222", "crm_newer")]


def test_both_changed_the_same_field_the_later_change_wins_and_the_conflict_keeps_both_values():
    app_later = three_way({"title": "CTO", "updated_at": APR}, {"title": "VP", "last_modified_date": MAR})
    assert moved(app_later, "title") == [("app_to_crm", "VP", "CTO", "conflict_app_newer")]
    crm_later = three_way({"title": "CTO", "updated_at": FEB}, {"title": "VP", "last_modified_date": MAR})
    assert moved(crm_later, "title") == [("crm_to_app", "CTO", "VP", "conflict_crm_newer")]


def test_the_apps_side_of_a_conflict_is_the_fields_own_change_time_not_the_records():
    # The app record was touched in April (another field), but its title changed in February.
    sync = three_way({"title": "CTO", "phone": "999", "updated_at": APR}, {"title": "VP", "last_modified_date": MAR},
                     field_times={"title": FEB, "phone": APR})
    assert moved(sync, "title") == [("crm_to_app", "CTO", "VP", "conflict_crm_newer")]
    assert moved(sync, "phone") == [("app_to_crm", "111", "999", "app_newer")]


def test_a_field_with_no_change_time_of_its_own_takes_the_records():
    sync = three_way({"title": "CTO", "updated_at": APR}, {"title": "VP", "last_modified_date": MAR},
                     field_times={"phone": JAN})
    assert moved(sync, "title") == [("app_to_crm", "VP", "CTO", "conflict_app_newer")]


def test_with_no_base_yet_the_newer_record_wins_as_before():
    none = base().iloc[0:0]
    sync = three_way({"title": "CTO", "updated_at": FEB}, {"phone": "222", "last_modified_date": MAR}, synced=none)
    assert moved(sync, "title") == [("crm_to_app", "CTO", "CEO", "crm_newer")]
    assert moved(sync, "phone") == [("crm_to_app", "111", "222", "crm_newer")]


def test_a_base_of_another_crm_record_is_no_base():
    other = base(crm_id="003000000000009AAA")
    sync = three_way({"title": "CTO", "updated_at": FEB}, {"last_modified_date": MAR}, synced=other)
    assert moved(sync, "title") == [("crm_to_app", "CTO", "CEO", "crm_newer")]


def test_an_emptied_field_follows_f4_4_and_f4_5_and_is_never_reverted():
    crm_emptied = ({"updated_at": APR}, {"title": None, "last_modified_date": MAR})
    assert moved(three_way(*crm_emptied, overwrite_app_with_empty_crm_values=False), "title") == []
    assert moved(three_way(*crm_emptied, overwrite_app_with_empty_crm_values=True), "title") == [
        ("crm_to_app", "CEO", None, "crm_newer")]
    app_emptied = ({"title": None, "updated_at": FEB}, {"last_modified_date": MAR})
    assert moved(three_way(*app_emptied), "title") == []
    assert moved(three_way(*app_emptied, overwrite_crm_with_empty_app_values=True), "title") == [
        ("app_to_crm", "CEO", None, "app_newer")]


def test_a_crm_change_the_gates_keep_out_of_the_app_is_not_reverted_either():
    sync = three_way({"updated_at": APR}, {"email": "ann@new.com", "last_modified_date": MAR},
                     update_email_from_crm=False)
    assert moved(sync, "email") == []
    allowed = three_way({"updated_at": APR}, {"email": "ann@new.com", "last_modified_date": MAR})
    assert moved(allowed, "email") == [("crm_to_app", "ann@x.com", "ann@new.com", "crm_newer")]


def test_a_two_way_custom_field_is_three_way_too():
    persona = (FieldMapping(crm_object="Contact", app_field="persona", crm_field="Persona__c", direction="two_way"),)
    sync = three_way({"persona": "Champion", "updated_at": FEB}, {"last_modified_date": MAR}, mappings=persona)
    assert changes(sync.outbound, "crm_field", "old_value", "new_value", "reason") == [
        ("Persona__c", "Buyer", "Champion", "app_newer")]
    sync = three_way({"updated_at": APR}, {"mapped_fields": {"Persona__c": "Blocker"}, "last_modified_date": MAR},
                     mappings=persona)
    assert changes(sync.inbound, "field", "old_value", "new_value", "reason") == [
        ("persona", "Buyer", "Blocker", "crm_newer")]


def test_the_base_to_store_is_every_value_both_sides_now_share_and_only_those_that_changed():
    sync = three_way({"title": "CTO", "updated_at": FEB}, {"phone": "222", "last_modified_date": MAR})
    stored = [row for row in changes(sync.synced, "object", "app_id", "crm_id", "field", "value") if row[3] in SYNCED]
    # phone is applied inbound: its new value is the base; title waits for the push's confirmation.
    assert stored == [("prospect", "p1", C1, "phone", "222")]
    first = three_way({}, {}, synced=base().iloc[0:0])
    two_way = {m.app_field for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == "Contact" and m.direction == "two_way"}
    two_way.discard("region")  # Region__c is not among the Contact's extracted fields: skipped (E6)
    assert sorted(r[3] for r in changes(first.synced, "object", "app_id", "crm_id", "field", "value")) == sorted(two_way)


K1 = "70100000000000AAAA"


def test_campaigns_are_three_way_each_sides_edit_of_a_different_field_survives():
    crm = crm_campaigns((K1, "Spring", "In Progress", True, "2024-04-01", False, MAR))
    app = app_campaigns(("k1", K1, "Spring launch", "Planned", True, "2024-04-01", FEB))
    synced = base("campaign", "k1", K1, name="Spring", status="Planned", is_active="true", start_date="2024-04-01")
    sync = sync_campaigns(app, crm, base=synced)
    assert changes(sync.outbound, "field", "old_value", "new_value", "reason") == [
        ("name", "Spring", "Spring launch", "app_newer")]
    assert changes(sync.inbound, "field", "old_value", "new_value", "reason") == [
        ("status", "Planned", "In Progress", "crm_newer")]


def test_campaigns_conflict_on_one_field_goes_to_the_later_change():
    crm = crm_campaigns((K1, "Spring sale", "Planned", True, "2024-04-01", False, MAR))
    app = app_campaigns(("k1", K1, "Spring launch", "Planned", True, "2024-04-01", APR))
    synced = base("campaign", "k1", K1, name="Spring", status="Planned")
    sync = sync_campaigns(app, crm, base=synced)
    assert changes(sync.outbound, "field", "old_value", "new_value", "reason") == [
        ("name", "Spring sale", "Spring launch", "conflict_app_newer")]


def test_a_prospect_created_from_a_crm_record_starts_with_its_base():
    # Without a base, the new pair's first edits would go by the newer record: a CRM edit of one
    # field reverted by a later app edit of another (found by the soak).
    app = prospects(PROSPECT)
    crm = contacts(CONTACT, {"id": "003000000000000002AAA", "email": "bo@x.com", "first_name": "Bo",
                             "title": "CFO", "last_modified_date": FEB})
    matched = match_prospects(app, leads(), crm).matched
    sync = sync_prospects(matched, app, leads(), crm, settings=ConnectorSettings(), base=base())
    new = sync.synced.loc[sync.synced["app_id"] == "crm-003000000000000002AAA"].set_index("field")
    two_way = {m.app_field for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == "Contact" and m.direction == "two_way"}
    assert set(new.index) == two_way
    assert (new.loc["first_name", "value"], new.loc["title", "value"], new.loc["email", "value"]) == ("Bo", "CFO", "bo@x.com")
    assert pd.isna(new.loc["phone", "value"])  # empty in the CRM: the base is empty
    assert set(new["crm_id"]) == {"003000000000000002AAA"} and set(new["object"]) == {"prospect"}
