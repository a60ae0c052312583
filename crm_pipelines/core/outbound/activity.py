"""P1 and P2: what the app's users did with prospects, logged on the CRM record as Tasks.

Every activity event (P1, when F4.8 is on) and every cadence touch with an outcome the tenant
selected (P2) becomes one Task, upserted by the event's or touch's external id, so it is logged
once however often the push runs. The Task's WhoId is the prospect's Lead or Contact, resolved at
delivery; events of prospects with no CRM id wait for it. Its WhatId is the event's object
(opportunity, company, campaign) when the CRM knows it, its owner the CRM user matched to the app
user who acted. The Task is Completed and dated on the day it happened.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from crm_pipelines.core.matching.frames import require, utc_naive
from crm_pipelines.core.outbound.items import empty_items, external_ids, items_frame

# Task.Type is one of Call, Email, Meeting, Other; the app's kinds and outcomes map by their first word.
_TASK_TYPES = {"email": "Email", "call": "Call", "meeting": "Meeting"}

# What an app object id refers to in the CRM: the app table, its id column, its CRM id column,
# and the key prefix of a CRM id of that object (the app may also store the CRM id itself).
WHAT_OBJECTS = {
    "Opportunity": ("app_opportunities", "opportunity_id", "crm_opportunity_id", "006"),
    "Account": ("companies", "company_id", "crm_account_id", "001"),
    "Company": ("companies", "company_id", "crm_account_id", "001"),
    "Campaign": ("app_campaigns", "campaign_id", "crm_campaign_id", "701"),
}


def event_tasks(
    events: pd.DataFrame,
    *,
    crm_user_of: pd.Series,
    app_records: dict[str, pd.DataFrame],
    show_activity_in_crm: bool,
) -> pd.DataFrame:
    """Push items (Task upserts) for the app's activity events (P1); none when F4.8 is off.
    `crm_user_of`: app user id → matched CRM user id. `app_records`: the app tables named in
    WHAT_OBJECTS, to find the CRM id of an event's object."""
    require(events, ("event_id", "prospect_id", "user_id", "kind", "object_type", "object_id", "object_name",
                     "occurred_at"), "activity_events")
    live = events.loc[events["prospect_id"].notna()].reset_index(drop=True)
    if not show_activity_in_crm or live.empty:
        return empty_items()
    kind = live["kind"].astype("string").fillna("activity")
    label = _labels(kind)
    object_name = live["object_name"].astype("string")
    object_type = live["object_type"].astype("string")
    on_object = object_name.notna() & object_type.notna()
    subject = label.where(~on_object, label + ": " + object_name.fillna(""))
    occurred = pd.Series(utc_naive(live["occurred_at"]))
    about = (" on " + object_type.fillna("") + " " + object_name.fillna("")).where(on_object, "")
    description = ("Logged by the app: " + label + about + " at " + occurred.dt.strftime("%Y-%m-%d %H:%M UTC")
                   + " (app event " + live["event_id"].astype("string") + ").")
    what = what_ids(object_type, live["object_id"].astype("string"), app_records)
    fields = _task_fields(subject, description, occurred, _types(kind), what,
                          live["user_id"].astype("string").map(crm_user_of))
    return items_frame(
        kind="activity", sobject="Task", operation="upsert", external_id=external_ids("event", live["event_id"]),
        crm_id=None, app_object="event", app_id=live["event_id"].astype("string"),
        who_prospect_id=live["prospect_id"].astype("string"), fields=fields, triggers=None, forced=False,
    )


def touch_tasks(
    touches: pd.DataFrame,
    memberships: pd.DataFrame,
    cadences: pd.DataFrame,
    *,
    outcomes: Collection[str],
    crm_user_of: pd.Series,
) -> pd.DataFrame:
    """Push items (Task upserts) for the cadence touches whose outcome the tenant selected (P2)."""
    require(touches, ("touch_id", "membership_id", "prospect_id", "user_id", "touch_number", "outcome",
                      "occurred_at"), "cadence_touches")
    picked = touches.loc[touches["outcome"].astype("string").isin(list(outcomes))].reset_index(drop=True)
    if picked.empty:
        return empty_items()
    cadence_of = memberships.set_index("membership_id")["cadence_id"].astype("string")
    name_of = cadences.set_index("cadence_id")["name"].astype("string")
    cadence = picked["membership_id"].astype("string").map(cadence_of).map(name_of).fillna("cadence")
    outcome = picked["outcome"].astype("string")
    number = picked["touch_number"].astype("Int64").astype("string").fillna("?")
    subject = cadence + ", touch " + number + ": " + _labels(outcome)
    occurred = pd.Series(utc_naive(picked["occurred_at"]))
    description = ("Logged by the app: touch " + number + " of the cadence " + cadence + " ended "
                   + _labels(outcome).str.lower() + " at " + occurred.dt.strftime("%Y-%m-%d %H:%M UTC")
                   + " (app touch " + picked["touch_id"].astype("string") + ").")
    fields = _task_fields(subject, description, occurred, _types(outcome), pd.Series(pd.NA, index=picked.index, dtype="string"),
                          picked["user_id"].astype("string").map(crm_user_of))
    return items_frame(
        kind="touch_outcome", sobject="Task", operation="upsert", external_id=external_ids("touch", picked["touch_id"]),
        crm_id=None, app_object="touch", app_id=picked["touch_id"].astype("string"),
        who_prospect_id=picked["prospect_id"].astype("string"), fields=fields, triggers=None, forced=False,
    )


def what_ids(object_type: pd.Series, object_id: pd.Series, app_records: dict[str, pd.DataFrame]) -> pd.Series:
    """The CRM id of each event's object: the app record's CRM id, or the id itself when the app
    stored a CRM id of the right object; NA when the CRM does not know the object."""
    out = pd.Series(pd.NA, index=object_id.index, dtype="string")
    for crm_object, (table, id_column, crm_column, prefix) in WHAT_OBJECTS.items():
        rows = (object_type == crm_object).fillna(False).to_numpy(dtype=bool)
        if not rows.any():
            continue
        records = app_records.get(table)
        ids = object_id[rows]
        found = pd.Series(pd.NA, index=ids.index, dtype="string")
        if records is not None and len(records):
            lookup = records.set_index(records[id_column].astype("string"))[crm_column].astype("string")
            lookup = lookup[~lookup.index.duplicated()]
            found = ids.map(lookup).astype("string")
        is_crm_id = ids.str.startswith(prefix).fillna(False) & ids.str.len().isin([15, 18])
        out[rows] = found.where(found.notna(), ids.where(is_crm_id))
    return out


def _task_fields(subject: pd.Series, description: pd.Series, occurred: pd.Series, task_type: pd.Series,
                 what: pd.Series, owner: pd.Series) -> list[dict]:
    dates = occurred.dt.strftime("%Y-%m-%d")
    out = []
    for s, d, day, t, w, o in zip(subject.tolist(), description.tolist(), dates.tolist(), task_type.tolist(),
                                   what.tolist(), owner.tolist(), strict=True):
        record = {"Subject": s[:255], "Description": d, "ActivityDate": day, "Status": "Completed",
                  "Priority": "Normal", "Type": t}
        if w is not pd.NA and w is not None and not (isinstance(w, float) and np.isnan(w)):
            record["WhatId"] = w
        if isinstance(o, str):
            record["OwnerId"] = o
        out.append(record)
    return out


def _labels(codes: pd.Series) -> pd.Series:
    """`email_opened` → `Email opened`."""
    text = codes.astype("string").str.replace("_", " ", regex=False)
    return text.str.slice(0, 1).str.upper() + text.str.slice(1)


def _types(codes: pd.Series) -> pd.Series:
    first = codes.astype("string").str.split("_").str[0]
    return first.map(_TASK_TYPES).fillna("Other").astype("string")
