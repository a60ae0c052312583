"""Reading the columns of warehouse and app frames the same way everywhere: flags with NA as
False, timestamps as naive UTC numpy (cheap to compare and sort), required columns named."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a frame that lacks columns, naming the frame and the columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {', '.join(missing)}")


def flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column as numpy, NA (or a missing column) read as False."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def utc_naive(values: pd.Series) -> np.ndarray:
    """Timestamps as naive UTC datetime64[us] numpy, NaT for NA."""
    stamps = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
    return stamps.dt.tz_localize(None).to_numpy()


def utc_instant(stamp: pd.Timestamp) -> np.datetime64:
    """One instant as naive UTC datetime64[us], to compare with `utc_naive` columns (a naive
    timestamp is read as UTC)."""
    instant = pd.Timestamp(stamp)
    instant = instant.tz_convert("UTC").tz_localize(None) if instant.tzinfo is not None else instant
    return np.datetime64(instant, "us")


def utc_aware(stamps: np.ndarray) -> pd.Series:
    """Naive UTC datetime64 numpy back to a tz-aware datetime64[us, UTC] Series (RangeIndex)."""
    return pd.Series(pd.to_datetime(stamps)).dt.tz_localize("UTC").astype("datetime64[us, UTC]")


def changed_at(crm: pd.DataFrame) -> np.ndarray:
    """When each CRM record last changed in any way: SystemModstamp, else LastModifiedDate."""
    return utc_naive(crm["system_modstamp"] if "system_modstamp" in crm.columns else crm["last_modified_date"])


def empty_ambiguity_report(text_columns: Sequence[str], count_column: str) -> pd.DataFrame:
    """An ambiguity report with no rows: its text columns (the shared key and the record), then
    last_modified_date, rank (1 = the one chosen) and how many app records want the key."""
    return pd.DataFrame({
        **{column: pd.Series(dtype="string") for column in text_columns},
        "last_modified_date": pd.Series(dtype="datetime64[us, UTC]"),
        "rank": pd.Series(dtype="int64"),
        count_column: pd.Series(dtype="int64"),
    })
