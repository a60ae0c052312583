"""Company names reduced to what identifies the company (X4's last resort).

"ACME, Inc.", "Acme Inc" and "acme" name one company; the legal form and punctuation say
nothing about which. A name that is nothing but a legal form ("Company Ltd") identifies nobody.
"""

from __future__ import annotations

import pandas as pd

LEGAL_FORMS = (
    "incorporated", "inc", "corporation", "corp", "company", "co", "limited", "ltd", "llc", "l l c",
    "llp", "lp", "pllc", "plc", "gmbh", "mbh", "ag", "kg", "gmbh and co kg", "and co kg", "and co", "ug",
    "se", "sa", "s a", "sas", "sarl", "srl", "spa", "s p a", "bv", "b v", "nv", "n v", "oy", "oyj", "ab",
    "as", "a s", "aps", "pty", "pty ltd", "pte", "pte ltd", "kk", "holdings", "group",
)

# Longest first, so "gmbh and co kg" is removed whole rather than as "kg" after "co".
_FORMS = "|".join(sorted((form.replace(" ", r"\s") for form in LEGAL_FORMS), key=len, reverse=True))
_TRAILING_FORMS = r"(?:\s+(?:" + _FORMS + r"))+$"


def normalize_company_names(names: pd.Series) -> pd.Series:
    """Lowercased, `&` read as `and`, punctuation dropped, a leading "the" and trailing legal forms
    removed, whitespace collapsed. NA when nothing is left."""
    text = names.astype("string").str.lower()
    text = text.str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[^\w\s]+", " ", regex=True)
    text = text.str.replace(r"[\s_]+", " ", regex=True).str.strip()
    text = text.str.replace(r"^the\s+", "", regex=True)
    text = (" " + text).str.replace(_TRAILING_FORMS, "", regex=True).str.strip()
    return text.mask(text.fillna("").str.len() == 0)
