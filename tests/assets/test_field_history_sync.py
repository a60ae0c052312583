"""F3 with the CRM's field history, against the simulator over real HTTP: an org that tracks the
history of Lead Title and Phone gives each field's own change time to the CRM's side of a
conflict; an org that tracks none falls back to the record's SystemModstamp. Both sides are
checked on the simulator's own records and the app's tables, and the conflict in the connector log.

The edits: a CRM user changes a Lead's Title (t1), the app changes the prospect's title half an
hour later (t2), the CRM user changes the Lead's Phone an hour after t1 (t3, so SystemModstamp = t3).
"""

import pandas as pd

from crm_pipelines.store.crm_field_changes import read_field_changes
from tests.assets.test_outbound_push import control
from tests.assets.test_three_way_sync import (  # noqa: F401  (fixtures)
    a_lead_prospect,
    app_prospect,
    app_user_edits,
    conflicts_logged,
    crm_lead,
    crm_sync,
    crm_user_edits,
    push,
    sim,
    synced,
)


def edits_on_both_sides(db, sim) -> tuple[pd.Series, pd.Timestamp]:
    prospect = a_lead_prospect(db)
    t1 = crm_user_edits(sim, prospect["crm_id"], 60, Title="CRM's Title")
    app_user_edits(db, prospect["prospect_id"], t1 + pd.Timedelta(minutes=30), title="App's Title")
    crm_user_edits(sim, prospect["crm_id"], 3600, Phone="+1 555 0177")
    return prospect, t1


def test_with_field_history_the_apps_later_title_wins_and_the_crms_later_phone_comes_to_the_app(synced, sim):
    db, instance = synced
    control(sim, "acme", "PUT", "/field-history", json={"sobject": "Lead", "fields": ["Title", "Phone"]})
    prospect, t1 = edits_on_both_sides(db, sim)

    crm_sync(db, instance)
    # The warehouse keeps the CRM's change time of the field: the simulator's own history row of t1.
    history = sim.org("acme").rows("LeadHistory")
    title_rows = history.loc[(history["LeadId"] == prospect["crm_id"]) & (history["Field"] == "Title")]
    assert len(title_rows) == 1 and title_rows["CreatedDate"].iloc[0] <= t1
    times = read_field_changes(db, "acme", "Lead")
    title_at = times.loc[(times["crm_id"] == prospect["crm_id"]) & (times["field"] == "Title"), "changed_at"]
    assert list(title_at) == [title_rows["CreatedDate"].iloc[0].floor("ms")]

    push(db, instance)
    lead, after = crm_lead(sim, prospect["crm_id"]), app_prospect(db, prospect["prospect_id"])
    assert (lead["Title"], lead["Phone"]) == ("App's Title", "+1 555 0177")
    assert (after["title"], after["phone"]) == ("App's Title", "+1 555 0177")
    assert conflicts_logged(db, prospect["prospect_id"]) == [
        ["app_to_crm", "title", "CRM's Title", "App's Title", "conflict_app_newer"]]


def test_without_field_history_the_crm_records_systemmodstamp_wins_the_conflict(synced, sim):
    db, instance = synced
    prospect, _ = edits_on_both_sides(db, sim)

    crm_sync(db, instance)
    push(db, instance)
    lead, after = crm_lead(sim, prospect["crm_id"]), app_prospect(db, prospect["prospect_id"])
    assert (lead["Title"], lead["Phone"]) == ("CRM's Title", "+1 555 0177")
    assert (after["title"], after["phone"]) == ("CRM's Title", "+1 555 0177")
    assert conflicts_logged(db, prospect["prospect_id"]) == [
        ["crm_to_app", "title", "App's Title", "CRM's Title", "conflict_crm_newer"]]
    assert read_field_changes(db, "acme").empty
