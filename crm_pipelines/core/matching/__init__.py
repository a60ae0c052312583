"""Matching app records to CRM records (X1–X5): users, prospects, companies.

Each `match_*` function takes the app's table, the extracted CRM tables and the manual override
table, and returns a frozen dataclass whose `matched` frame is the asset and whose other frames are
the reports (ambiguous, unmatched, stale overrides) for asset metadata.
"""

from crm_pipelines.core.matching.accounts import (
    MATCHED_ACCOUNT_COLUMNS,
    AccountMatches,
    company_of_account,
    match_accounts,
)
from crm_pipelines.core.matching.company_names import normalize_company_names
from crm_pipelines.core.matching.domains import PUBLIC_MAIL_DOMAINS, company_domains, domain_of, is_public_mail_domain
from crm_pipelines.core.matching.people import crm_people
from crm_pipelines.core.matching.prospects import MATCHED_PROSPECT_COLUMNS, ProspectMatches, match_prospects
from crm_pipelines.core.matching.users import MATCHED_USER_COLUMNS, UserMatches, match_users

__all__ = [
    "MATCHED_ACCOUNT_COLUMNS",
    "MATCHED_PROSPECT_COLUMNS",
    "MATCHED_USER_COLUMNS",
    "PUBLIC_MAIL_DOMAINS",
    "AccountMatches",
    "ProspectMatches",
    "UserMatches",
    "company_domains",
    "company_of_account",
    "crm_people",
    "domain_of",
    "is_public_mail_domain",
    "match_accounts",
    "match_prospects",
    "match_users",
    "normalize_company_names",
]
