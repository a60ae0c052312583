"""Email addresses as the matching keys they are (X1, X2): one spelling per address.

People type emails with stray spaces and capitals, and the CRM and the app each keep what was
typed, so both sides are normalized the same way before they are compared. Local parts are
lowercased too: Salesforce itself compares emails case-insensitively, and no mail provider we
match against treats `Ann@` and `ann@` as different people.
"""

from __future__ import annotations

import pandas as pd

# "Obviously invalid": no @, more than one @, whitespace inside, or a domain without a dot,
# with an empty label, or starting or ending with a dot. Anything stricter refuses real addresses.
_PLAUSIBLE_EMAIL = r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+"


def normalize_emails(values: pd.Series) -> pd.Series:
    """Each address stripped and lowercased; empty or obviously invalid values become NA.

    Returns a "string" Series with the same index. Normalizing twice changes nothing.
    """
    text = values.astype("string").str.strip().str.lower()
    plausible = text.str.fullmatch(_PLAUSIBLE_EMAIL).fillna(False).astype(bool)
    return text.where(plausible)


def normalize_email(value: str | None) -> str | None:
    """One address, normalized as `normalize_emails` does (for the CLI and overrides)."""
    out = normalize_emails(pd.Series([value], dtype="string")).iloc[0]
    return None if pd.isna(out) else str(out)
