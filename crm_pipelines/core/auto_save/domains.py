"""Company domains of account websites and lead emails, for linking unconverted leads to accounts.

An unconverted lead has no AccountId; it belongs to an account when its email is at the account's
website domain. Mail at a public provider says nothing about the employer, so those domains never
link a lead to anything. The parsing and the public mail domains are matching's (X4): one list,
one way to read a domain.
"""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.matching.domains import company_domains, domain_of


def website_domains(websites: pd.Series) -> pd.Series:
    """`https://www.Example.co.uk/about` -> `example.co.uk`; NA when there is no host."""
    return domain_of(websites)


def email_domains(emails: pd.Series) -> pd.Series:
    """`Jo.Smith@Example.com ` -> `example.com`; NA without an @ or at a public mail domain."""
    has_at = emails.astype("string").str.contains("@", regex=False).fillna(False).astype(bool)
    return company_domains(emails).where(has_at)
