"""Small hand-built warehouse and app frames, typed as the data contracts say."""

from __future__ import annotations

from typing import Any

import pandas as pd

T0 = "2024-01-01T00:00:00Z"


def at(text: str) -> pd.Timestamp:
    """A UTC timestamp from ISO text (naive text read as UTC)."""
    stamp = pd.Timestamp(text)
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


_PERSON = {
    "id": None, "created_date": T0, "last_modified_date": T0, "system_modstamp": None, "is_deleted": False,
    "first_name": None, "last_name": None, "email": None, "title": None, "phone": None,
    "owner_id": None, "lead_source": None, "has_opted_out_of_email": False, "master_record_id": None,
    "mapped_fields": None,
}
_LEAD = {**_PERSON, "company": None, "status": "Open - Not Contacted", "industry": None, "city": None,
         "country": None, "is_converted": False, "converted_date": None, "converted_account_id": None,
         "converted_contact_id": None, "converted_opportunity_id": None}
_CONTACT = {**_PERSON, "account_id": None, "mailing_city": None, "mailing_country": None}
_PROSPECT = {
    "prospect_id": None, "crm_id": None, "crm_type": None, "email": None, "first_name": None,
    "last_name": None, "title": None, "company": None, "phone": None, "city": None, "country": None,
    "status": None, "lead_source": None, "industry": None, "lead_score": None, "opted_out": False,
    "persona": None, "region": None, "owner_user_id": None, "is_deleted": False, "merged_into": None,
    "created_at": T0, "updated_at": T0, "last_activity_at": None,
}
_TIMES = ("created_date", "last_modified_date", "system_modstamp", "created_at", "updated_at", "last_activity_at")
_FLAGS = ("is_deleted", "has_opted_out_of_email", "is_converted", "opted_out")


def _frame(defaults: dict[str, Any], rows: tuple[dict[str, Any], ...]) -> pd.DataFrame:
    for row in rows:
        unknown = set(row) - set(defaults)
        if unknown:
            raise KeyError(f"unknown column(s) {sorted(unknown)}")
    frame = pd.DataFrame([{**defaults, **row} for row in rows], columns=list(defaults))
    for column in frame.columns:
        if column in _TIMES:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
        elif column in _FLAGS:
            frame[column] = frame[column].astype("boolean")
        elif column == "lead_score":
            frame[column] = frame[column].astype("float64")
        elif column == "mapped_fields":
            frame[column] = frame[column].astype(object)
        elif column == "converted_date":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        else:
            frame[column] = frame[column].astype("string")
    if "system_modstamp" in frame.columns:
        frame["system_modstamp"] = frame["system_modstamp"].fillna(frame["last_modified_date"])
    return frame


def leads(*rows: dict[str, Any]) -> pd.DataFrame:
    return _frame(_LEAD, rows)


def contacts(*rows: dict[str, Any]) -> pd.DataFrame:
    return _frame(_CONTACT, rows)


def prospects(*rows: dict[str, Any]) -> pd.DataFrame:
    return _frame(_PROSPECT, rows)


def overrides(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(entity, app_id, crm_id, confirmed_at) rows of the match_overrides table."""
    return pd.DataFrame({
        "entity": pd.Series([r[0] for r in rows], dtype="string"),
        "app_id": pd.Series([r[1] for r in rows], dtype="string"),
        "crm_id": pd.Series([r[2] for r in rows], dtype="string"),
        "confirmed_at": pd.to_datetime([r[3] for r in rows], utc=True).astype("datetime64[us, UTC]"),
    })


def rows_of(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows as plain tuples (NA as None), in order, for comparing with expectations."""
    picked = frame[list(columns)].astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in picked.itertuples(index=False)]
