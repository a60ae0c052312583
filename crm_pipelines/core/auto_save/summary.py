"""Per user and list figures of a rebuild (L10's summary, L12's saved items)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_pipelines.core.auto_save.frames import SUMMARY_COLUMNS, TEXT, ListName, empty_summary
from crm_pipelines.core.auto_save.id_codes import text_series


def summary_of_items(name: ListName, user_ids: pa.Array, **counts: np.ndarray) -> pd.DataFrame:
    """One row per subject (user_ids in subject order) with each figure's count per subject."""
    frame = pd.DataFrame({"user_id": text_series(user_ids),
                          "list": text_series(pa.repeat(pa.scalar(name, pa.large_string()), len(user_ids)))})
    for figure in SUMMARY_COLUMNS[2:]:
        frame[figure] = counts[figure].astype(np.int64)
    return frame


def summary_of_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Figures of lists left as they were (frozen): what is on them; nothing capped, added or removed."""
    if rows.empty:
        return empty_summary()
    counts = pd.DataFrame({
        "user_id": rows["user_id"], "list": rows["list"],
        "items": 1, "auto_items": (rows["source"] == "auto").astype(np.int64),
        "manual_items": (rows["source"] == "manual").astype(np.int64),
        "deleted_items": rows["is_deleted"].astype(np.int64),
    }).groupby(["user_id", "list"], sort=True, observed=True, as_index=False).sum()
    for figure in ("capped_out", "added", "removed"):
        counts[figure] = np.int64(0)
    counts = counts.astype({"user_id": TEXT, "list": TEXT})
    return counts.loc[:, list(SUMMARY_COLUMNS)].astype({c: np.int64 for c in SUMMARY_COLUMNS[2:]})
