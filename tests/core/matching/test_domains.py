"""Domains of websites and emails, and public mail domains (X4)."""

import pandas as pd

from crm_pipelines.core.matching import company_domains, domain_of, is_public_mail_domain, normalize_company_names


def as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]


def test_the_domain_of_a_website_drops_scheme_www_port_path_and_case():
    sites = pd.Series(["https://WWW.Acme.com:443/about?x=1", "acme.com", "http://user:pw@www2.beta.io/x",
                       "//cdn.gamma.org#top", "www.delta.com.", "ftp://files.epsilon.net/"])
    assert as_list(domain_of(sites)) == ["acme.com", "acme.com", "beta.io", "cdn.gamma.org", "delta.com", "files.epsilon.net"]


def test_the_domain_of_an_email_is_what_follows_the_at():
    assert as_list(domain_of(pd.Series(["Ann@Acme.CO.UK", " bob@beta.io "]))) == ["acme.co.uk", "beta.io"]


def test_things_that_are_not_domains_have_none():
    assert as_list(domain_of(pd.Series(["n/a", "", None, "localhost", "http://"]))) == [None] * 5


def test_public_mail_domains_are_recognized_with_their_country_variants():
    domains = pd.Series(["gmail.com", "yahoo.co.uk", "gmx.de", "hotmail.fr", "live.com.au", "protonmail.com",
                         "acme.com", "gmxtra.com", None])
    assert is_public_mail_domain(domains).tolist() == [True, True, True, True, True, True, False, False, False]


def test_company_domains_leave_out_public_mail_domains():
    assert as_list(company_domains(pd.Series(["ann@gmail.com", "https://acme.com", "outlook.com"]))) == [None, "acme.com", None]


def test_company_names_lose_case_punctuation_and_legal_forms():
    names = pd.Series(["ACME, Inc.", "The Acme Company Ltd.", "Müller GmbH & Co. KG", "Smith & Sons L.L.C.",
                       "Company Ltd", "AT&T", None])
    assert as_list(normalize_company_names(names)) == ["acme", "acme", "müller", "smith and sons", None, "at and t", None]
