"""F7: which app prospects the CRM should create as new Leads, and with what values.

A prospect is pushed as a new Lead only if it is not a contact, has no CRM id (stored or
matched), and has a last name, a company and a valid email — Salesforce requires LastName and
Company on a Lead, and without an email it could never be matched back. Two prospects with one
email would become two duplicate Leads, so only the earliest created of them goes; the others
match the new Lead by email on the next sync. Nor does a prospect go whose email a live CRM Lead or
Contact already has (`known_emails`, when the tenant matches by email, F4.6): the push plans from
the app as it is now, so a prospect added since the last matching would otherwise look new.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.field_sync.changes import APP_TO_CRM, change_rows, concat_changes
from crm_pipelines.core.field_sync.values import canonical, empty, encode
from crm_pipelines.core.matching.frames import flag, utc_instant, utc_naive
from crm_pipelines.core.matching.lookup import contains
from crm_pipelines.settings import FieldMapping
from crm_pipelines.settings.fields import PROSPECT_FIELDS

# The Lead fields a new Lead is never sent without, whatever the mappings say.
REQUIRED_LEAD_FIELDS = (("LastName", "last_name"), ("Company", "company"), ("Email", "email"))


def eligible_new_leads(
    prospects: pd.DataFrame,
    matched: pd.DataFrame,
    *,
    since: pd.Timestamp | None = None,
    matched_rows: np.ndarray | None = None,
    known_emails: pd.Series | None = None,
) -> np.ndarray:
    """Positions in `prospects` of the prospects F7 pushes as new Leads (see the module doc).
    With `since`, only prospects updated after it. `matched_rows` may pass the positions in
    `prospects` of the matched prospects, when the caller already knows them. `known_emails`:
    normalized emails of the CRM's live Leads and Contacts, which no new Lead may take."""
    live = ~flag(prospects, "is_deleted")
    if matched_rows is None:
        is_matched = contains(prospects["prospect_id"], matched["prospect_id"])
    else:
        is_matched = np.zeros(len(prospects), dtype=bool)
        is_matched[matched_rows[matched_rows >= 0]] = True
    no_crm_id = prospects["crm_id"].isna().to_numpy() & ~is_matched
    not_contact = (prospects["crm_type"].astype("string") != "Contact").fillna(True).to_numpy(dtype=bool)
    emails = normalize_emails(prospects["email"])
    complete = (
        ~empty(canonical(prospects["last_name"], "string"))
        & ~empty(canonical(prospects["company"], "string"))
        & emails.notna().to_numpy()
    )
    eligible = live & no_crm_id & not_contact & complete
    if known_emails is not None:
        eligible &= ~contains(emails, known_emails.dropna())
    if since is not None:
        eligible &= utc_naive(prospects["updated_at"]) > utc_instant(since)
    rows = np.flatnonzero(eligible)
    # One new Lead per email: the earliest created prospect, then the smallest id.
    order = pd.DataFrame({
        "row": rows,
        "email": emails.iloc[rows].to_numpy(),
        "created_at": utc_naive(prospects["created_at"])[rows] if "created_at" in prospects else np.zeros(len(rows)),
        "prospect_id": prospects["prospect_id"].astype("string").iloc[rows].to_numpy(),
    }).sort_values(["email", "created_at", "prospect_id"], kind="stable", na_position="last")
    return np.sort(order.drop_duplicates("email")["row"].to_numpy())


def new_lead_changes(
    prospects: pd.DataFrame,
    matched: pd.DataFrame,
    mappings: Sequence[FieldMapping],
    *,
    since: pd.Timestamp | None = None,
    matched_rows: np.ndarray | None = None,
    known_emails: pd.Series | None = None,
) -> pd.DataFrame:
    """app_to_crm change rows (crm_type Lead, crm_id NA, reason new_lead): for each eligible
    prospect, one row per non-empty value of its push and two-way Lead mappings, plus the
    required LastName, Company and Email when unmapped."""
    rows = eligible_new_leads(prospects, matched, since=since, matched_rows=matched_rows, known_emails=known_emails)
    if rows.size == 0:
        return concat_changes([])
    fields = [(m.crm_field, m.app_field) for m in mappings
              if m.crm_object == "Lead" and m.direction in ("push", "two_way")]
    mapped_app_fields = {app_field for _, app_field in fields}
    fields += [pair for pair in REQUIRED_LEAD_FIELDS if pair[1] not in mapped_app_fields]
    picked = prospects.iloc[rows].reset_index(drop=True)
    ids = picked["prospect_id"].astype("string")
    at = picked["updated_at"] if "updated_at" in picked else None
    parts = []
    for crm_field, app_field in fields:
        if app_field not in picked.columns:
            continue
        field_type = PROSPECT_FIELDS[app_field]
        values = canonical(picked[app_field], field_type)
        present = ~empty(values)
        parts.append(change_rows(
            object="prospect", app_id=ids[present], crm_type="Lead", crm_id=None, field=app_field,
            crm_field=crm_field, field_type=field_type, old_value=None,
            new_value=encode(values[present], field_type), direction=APP_TO_CRM, reason="new_lead",
            at=None if at is None else at[present]))
    return concat_changes(parts)
