"""The CRM's Leads and Contacts as one table of people, each with where its record went."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails, repeated_text
from crm_pipelines.core.matching.frames import changed_at, flag, require, utc_naive
from crm_pipelines.core.matching.successors import CONVERTED, MERGED, OWN, follow_successors

CONTACT = "Contact"
LEAD = "Lead"

PEOPLE_COLUMNS = (
    "crm_id", "crm_type", "email", "is_deleted", "last_modified_date", "changed_at",
    "final", "how", "fate",
)


# The columns of crm_leads / crm_contacts that crm_people reads (Contacts have no conversion ones).
PEOPLE_SOURCE_COLUMNS = (
    "id", "email", "is_deleted", "last_modified_date", "system_modstamp", "master_record_id", "is_converted",
    "converted_contact_id",
)


def crm_people(crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts then Leads, one row each: crm_id, crm_type, email (normalized), is_deleted,
    last_modified_date and changed_at (SystemModstamp, else LastModifiedDate; both naive UTC
    datetime64[us] for speed), and where the record went: final (row position of the record it
    leads to), how (successors.OWN/MERGED/CONVERTED) and fate (successors.LIVE/DELETED/
    SUCCESSOR_MISSING)."""
    require(crm_contacts, ("id", "email", "is_deleted", "last_modified_date"), "crm_contacts")
    require(crm_leads, ("id", "email", "is_deleted", "last_modified_date"), "crm_leads")
    parts = [_part(crm_contacts, CONTACT), _part(crm_leads, LEAD)]
    people = pd.concat(parts, ignore_index=True)
    is_deleted = people["is_deleted"].to_numpy()
    merged = is_deleted & people["master_record_id"].notna().to_numpy()
    converted = ~is_deleted & people.pop("is_converted").to_numpy()
    next_ids = people.pop("master_record_id").where(merged, people.pop("converted_contact_id"))
    kinds = np.where(merged, MERGED, np.where(converted, CONVERTED, OWN)).astype(np.int8)
    chains = follow_successors(people["crm_id"], next_ids, kinds, is_deleted)
    people["final"] = chains.final
    people["how"] = chains.how
    people["fate"] = chains.fate
    return people


def _part(frame: pd.DataFrame, crm_type: str) -> pd.DataFrame:
    n = len(frame)
    na_ids = repeated_text(None, n)
    return pd.DataFrame({
        "crm_id": frame["id"].astype("string").reset_index(drop=True),
        "crm_type": repeated_text(crm_type, n),
        "email": normalize_emails(frame["email"]).reset_index(drop=True),
        "is_deleted": flag(frame, "is_deleted"),
        "last_modified_date": utc_naive(frame["last_modified_date"]),
        "changed_at": changed_at(frame),
        "master_record_id": (frame["master_record_id"].astype("string").reset_index(drop=True)
                             if "master_record_id" in frame else na_ids),
        "is_converted": flag(frame, "is_converted"),
        "converted_contact_id": (frame["converted_contact_id"].astype("string").reset_index(drop=True)
                                 if "converted_contact_id" in frame else na_ids),
    })
