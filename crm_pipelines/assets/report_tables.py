"""How assets show frames in their metadata: short markdown tables and counts."""

import pandas as pd
from dagster import MetadataValue

PREVIEW_ROWS = 20


def markdown_table(frame: pd.DataFrame, *, limit: int = PREVIEW_ROWS, total: int | None = None) -> MetadataValue:
    """The first `limit` rows as a markdown table, saying how many more there are (of `total`, when
    `frame` holds only the first rows of it); "none" when empty."""
    if frame.empty:
        return MetadataValue.md("none")
    shown = frame.head(limit).astype("string").fillna("")
    more = (len(frame) if total is None else total) - len(shown)
    return MetadataValue.md(shown.to_markdown(index=False) + (f"\n\n… and {more} more" if more > 0 else ""))


def counts_by(frame: pd.DataFrame, column: str, *, prefix: str) -> dict[str, int]:
    """One metadata entry per value of `column`: `<prefix><value>` → how many rows have it."""
    counts = frame[column].astype("string").fillna("none").value_counts().sort_index()
    return {f"{prefix}{value}": int(n) for value, n in counts.items()}
