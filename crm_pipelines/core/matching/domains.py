"""Domains of websites and email addresses, and the public mail domains that say nothing about
which company someone works for (X4).

Two accounts share `gmail.com` because their contacts use Gmail, not because they are one company,
so public mail domains never match an account to a company.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from crm_pipelines.core.emails import arrow_text

PUBLIC_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "passport.com", "yahoo.com", "ymail.com", "rocketmail.com", "aol.com", "aim.com",
    "icloud.com", "me.com", "mac.com", "protonmail.com", "protonmail.ch", "proton.me", "pm.me",
    "tutanota.com", "tuta.io", "fastmail.com", "fastmail.fm", "hey.com", "zoho.com", "zohomail.com",
    "mail.com", "email.com", "inbox.com", "hushmail.com", "gmx.com", "gmx.net", "web.de",
    "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr",
    "libero.it", "virgilio.it", "tiscali.it", "alice.it", "btinternet.com", "sky.com",
    "virginmedia.com", "ntlworld.com", "talktalk.net", "comcast.net", "att.net", "sbcglobal.net",
    "verizon.net", "bellsouth.net", "cox.net", "charter.net", "earthlink.net", "optonline.net",
    "shaw.ca", "rogers.com", "sympatico.ca", "bigpond.com", "optusnet.com.au", "xtra.co.nz",
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "seznam.cz", "wp.pl", "o2.pl",
    "interia.pl", "onet.pl", "qq.com", "163.com", "126.com", "sina.com", "yeah.net", "naver.com",
    "daum.net", "hanmail.net", "rediffmail.com", "uol.com.br", "bol.com.br", "terra.com.br",
})

# Providers that run the same public service under many country domains
# (gmx.de, yahoo.co.uk, hotmail.fr, live.com.au, yandex.ru, ...).
_PUBLIC_FAMILIES = r"(?:gmx|yahoo|ymail|hotmail|outlook|live|windowslive|aol|yandex|icloud|gmail)"
_PUBLIC_FAMILY_DOMAIN = _PUBLIC_FAMILIES + r"\.[a-z]{2,3}(?:\.[a-z]{2})?"

_SCHEME = r"^[a-z][a-z0-9+.\-]*://|^//"
_AFTER_HOST = r"[/?#\\].*$"
_USERINFO_OR_LOCAL_PART = r"^.*@"
_PORT = r":[0-9]*$"
_WWW = r"^www[0-9]*\."
_HOSTNAME = r"[^\s.@:/]+(?:\.[^\s.@:/]+)+"


def domain_of(values: pd.Series) -> pd.Series:
    """The lowercased host of each website or email address: scheme, user, `www.`, port, path
    and trailing dot removed. NA when nothing that looks like a domain is left.

    `https://WWW.Acme.com:443/about` → `acme.com`; `ann@Acme.co.uk` → `acme.co.uk`.
    """
    text = values.astype("string").str.strip().str.lower()
    text = text.str.replace(_SCHEME, "", regex=True)
    text = text.str.replace(_AFTER_HOST, "", regex=True)
    text = text.str.replace(_USERINFO_OR_LOCAL_PART, "", regex=True)
    text = text.str.replace(_PORT, "", regex=True)
    text = text.str.replace(_WWW, "", regex=True)
    text = text.str.rstrip(".")
    return text.where(full_match(text, _HOSTNAME))


def is_public_mail_domain(domains: pd.Series) -> pd.Series:
    """Whether each (already extracted) domain belongs to a public mail provider. NA is False."""
    text = domains.astype("string")
    listed = text.isin(PUBLIC_MAIL_DOMAINS).fillna(False).astype(bool)
    return listed | full_match(text, _PUBLIC_FAMILY_DOMAIN)


def company_domains(values: pd.Series) -> pd.Series:
    """`domain_of(values)` with public mail domains blanked out: the domains fit for matching."""
    domains = domain_of(values)
    return domains.mask(is_public_mail_domain(domains))


def full_match(values: pd.Series, pattern: str) -> np.ndarray:
    """Whether each whole value matches `pattern` (NA never does), in Arrow's regex engine:
    pandas runs `.str.fullmatch` in Python, row by row."""
    found = pc.match_substring_regex(arrow_text(values), f"^(?:{pattern})$")
    return pc.fill_null(found, False).to_numpy().astype(bool)
