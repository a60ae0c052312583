"""Email normalization (X1, X2): one spelling per address, nonsense read as no address."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crm_pipelines.core.emails import normalize_email, normalize_emails


def normalized(*values):
    return [None if pd.isna(v) else v for v in normalize_emails(pd.Series(values, dtype="object")).tolist()]


def test_emails_are_stripped_and_lowercased():
    assert normalized("  Ann.Lee@Example.COM ", "\tBOB@x.co.uk\n") == ["ann.lee@example.com", "bob@x.co.uk"]


def test_empty_and_missing_emails_become_na():
    assert normalized("", "   ", None) == [None, None, None]


def test_obviously_invalid_emails_become_na():
    assert normalized(
        "ann.example.com",      # no @
        "ann@@example.com",     # two @
        "ann lee@example.com",  # space inside
        "ann@localhost",        # no dot in the domain
        "ann@.example.com",     # empty first label
        "ann@example..com",     # empty label
        "ann@example.com.",     # trailing dot
        "@example.com",         # no local part
    ) == [None] * 8


def test_plausible_but_unusual_emails_are_kept():
    assert normalized("o'brien+news@sub.example.museum", "x@xn--bcher-kva.example") == [
        "o'brien+news@sub.example.museum", "x@xn--bcher-kva.example"]


def test_the_index_is_kept():
    values = pd.Series(["A@B.CO", "b@c.de"], index=[10, 7])
    assert normalize_emails(values).index.tolist() == [10, 7]


def test_one_email_can_be_normalized_alone():
    assert normalize_email(" Ann@X.COM") == "ann@x.com"
    assert normalize_email("no email") is None


@given(st.lists(st.one_of(st.none(), st.text(), st.emails().map(lambda e: f" {e.upper()} ")), max_size=30))
def test_normalizing_twice_changes_nothing(values):
    once = normalize_emails(pd.Series(values, dtype="object"))
    twice = normalize_emails(once)
    pd.testing.assert_series_equal(once, twice)
