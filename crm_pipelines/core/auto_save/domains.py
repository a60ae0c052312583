"""Company domains of account websites and lead emails, for linking unconverted leads to accounts.

An unconverted lead has no AccountId; it belongs to an account when its email is at the account's
website domain. Mail at a public provider says nothing about the employer, so those domains never
link a lead to anything.
"""

from __future__ import annotations

import pandas as pd

from crm_pipelines.core.auto_save.frames import TEXT

PUBLIC_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "rocketmail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "pm.me", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "t-online.de", "mail.com", "yandex.ru", "yandex.com", "mail.ru", "qq.com",
    "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "comcast.net", "verizon.net", "att.net",
    "sbcglobal.net", "free.fr", "orange.fr", "laposte.net", "libero.it", "rediffmail.com",
})


def website_domains(websites: pd.Series) -> pd.Series:
    """`https://www.Example.co.uk/about` -> `example.co.uk`; NA when there is no host."""
    host = (websites.astype(TEXT).str.strip().str.lower()
            .str.replace(r"^[a-z][a-z0-9+.\-]*://", "", regex=True)
            .str.replace(r"^[^/@]*@", "", regex=True)  # user info before the host
            .str.replace(r"[/:?#].*$", "", regex=True)
            .str.replace(r"^www\d*\.", "", regex=True)
            .str.rstrip("."))
    return host.where(host.str.contains(".", regex=False).fillna(False))


def email_domains(emails: pd.Series) -> pd.Series:
    """`Jo.Smith@Example.com ` -> `example.com`; NA without an @ or at a public mail domain."""
    address = emails.astype(TEXT).str.strip().str.lower()
    domain = address.str.replace(r"^.*@", "", regex=True).str.rstrip(".")
    linked = (address.str.contains("@", regex=False).fillna(False)
              & domain.str.contains(".", regex=False).fillna(False)
              & ~domain.isin(PUBLIC_MAIL_DOMAINS))
    return domain.where(linked)
