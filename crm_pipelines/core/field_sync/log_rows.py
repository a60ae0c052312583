"""F8: the connector log's rows, built from any change frame.

Only the columns named here are ever copied: a log row cannot carry anything else (tokens,
credentials, whole payloads), whatever frame it is built from. The tenant and run are the
caller's to add; they are the same for every row of one call.
"""

from __future__ import annotations

import pandas as pd

LOG_COLUMNS = (
    "at", "object", "app_id", "crm_type", "crm_id", "field", "crm_field",
    "old_value", "new_value", "direction", "reason",
)

_SOURCE_COLUMNS = tuple(c for c in LOG_COLUMNS if c != "at")


def connector_log_rows(changes: pd.DataFrame, *, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """One log row per change: LOG_COLUMNS, all text but `at` (UTC). `at` is when the change was
    applied; without it, each row keeps the time its winning side changed."""
    missing = [c for c in _SOURCE_COLUMNS if c not in changes.columns]
    if missing:
        raise ValueError(f"connector log rows need the change column(s) {', '.join(missing)}")
    rows = pd.DataFrame({c: changes[c].astype("string").reset_index(drop=True) for c in _SOURCE_COLUMNS})
    if at is not None:
        stamps = pd.Series(pd.Timestamp(at).tz_convert("UTC"), index=rows.index)
    elif "at" in changes.columns:
        stamps = changes["at"].reset_index(drop=True)
    else:
        stamps = pd.Series(pd.NaT, index=rows.index)
    rows.insert(0, "at", pd.to_datetime(stamps, utc=True).astype("datetime64[us, UTC]"))
    return rows[list(LOG_COLUMNS)]


def log_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Counts by object, direction and reason, for asset metadata."""
    counts = rows.groupby(["object", "direction", "reason"], dropna=False).size()
    return counts.rename("changes").reset_index().sort_values(["object", "direction", "reason"], ignore_index=True)
