"""The CRM's Leads and Contacts as one table of people, each with where its record went."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.matching.successors import CONVERTED, MERGED, follow_successors

CONTACT = "Contact"
LEAD = "Lead"

PEOPLE_COLUMNS = (
    "crm_id", "crm_type", "email", "is_deleted", "last_modified_date", "changed_at",
    "final", "how", "fate",
)


def flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as numpy, NA (or a missing column) read as False."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def utc_naive(values: pd.Series) -> np.ndarray:
    """Timestamps as naive UTC datetime64[us] numpy (fast to compare and sort), NaT for NA."""
    stamps = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
    return stamps.dt.tz_localize(None).to_numpy()


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {', '.join(missing)}")


def crm_people(crm_leads: pd.DataFrame, crm_contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts then Leads, one row each: crm_id, crm_type, email (normalized), is_deleted,
    last_modified_date and changed_at (SystemModstamp, else LastModifiedDate; both naive UTC
    datetime64[us] for speed), and where the record
    went: final (row position of the record it leads to), how (own/merged/converted) and fate
    (live/deleted/successor_missing)."""
    require(crm_contacts, ("id", "email", "is_deleted", "last_modified_date"), "crm_contacts")
    require(crm_leads, ("id", "email", "is_deleted", "last_modified_date"), "crm_leads")
    parts = [_part(crm_contacts, CONTACT), _part(crm_leads, LEAD)]
    people = pd.concat(parts, ignore_index=True)
    is_deleted = people["is_deleted"].to_numpy()
    merged = is_deleted & people["master_record_id"].notna().to_numpy()
    converted = ~is_deleted & people.pop("is_converted").to_numpy()
    next_ids = people.pop("master_record_id").where(merged, people.pop("converted_contact_id"))
    kinds = np.where(merged, MERGED, np.where(converted, CONVERTED, ""))
    chains = follow_successors(people["crm_id"], next_ids, kinds, is_deleted)
    people["final"] = chains.final
    people["how"] = chains.how
    people["fate"] = chains.fate
    return people


def _part(frame: pd.DataFrame, crm_type: str) -> pd.DataFrame:
    n = len(frame)
    changed = frame["system_modstamp"] if "system_modstamp" in frame.columns else frame["last_modified_date"]
    na_ids = pd.Series(pd.NA, index=frame.index, dtype="string")
    return pd.DataFrame({
        "crm_id": frame["id"].astype("string"),
        "crm_type": pd.Series(np.full(n, crm_type), index=frame.index, dtype="string"),
        "email": normalize_emails(frame["email"]),
        "is_deleted": flag(frame, "is_deleted"),
        "last_modified_date": utc_naive(frame["last_modified_date"]),
        "changed_at": utc_naive(changed),
        "master_record_id": frame["master_record_id"].astype("string") if "master_record_id" in frame else na_ids,
        "is_converted": flag(frame, "is_converted"),
        "converted_contact_id": (frame["converted_contact_id"].astype("string")
                                 if "converted_contact_id" in frame else na_ids),
    }).reset_index(drop=True)
