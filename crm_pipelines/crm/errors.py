"""What can go wrong talking to a CRM, as exceptions that say which tenant, what and why.

Two families: `NotNow` means "stop, keep what you have, come back at resume_at" and is turned
into a deferral; everything else is a real failure with the CRM's own error code and message.
"""

from __future__ import annotations

from datetime import datetime


class CrmError(Exception):
    """A failure talking to the tenant's CRM."""

    def __init__(self, tenant_id: str, message: str) -> None:
        super().__init__(f"tenant '{tenant_id}': {message}")
        self.tenant_id = tenant_id


class NotNow(CrmError):
    """The CRM or the budget says: not now. Work done so far is kept; resume at `resume_at`."""

    reason_code = "not_now"

    def __init__(self, tenant_id: str, message: str, resume_at: datetime) -> None:
        super().__init__(tenant_id, f"{message}; resume at {resume_at:%Y-%m-%d %H:%M:%S} UTC")
        self.resume_at = resume_at
        self.reason = message


class BudgetExhausted(NotNow):
    """The tenant's own daily API budget (S1) has no call left in the current 24-hour window."""

    reason_code = "api_budget_exhausted"


class OrgLimitExceeded(NotNow):
    """The org answered REQUEST_LIMIT_EXCEEDED: its own daily quota, shared with other integrations."""

    reason_code = "org_request_limit_exceeded"


class OrgNearLimit(NotNow):
    """The org's own usage (Sforce-Limit-Info) is within the reserve kept for other integrations."""

    reason_code = "org_near_limit"


class RetryAfterTooLong(NotNow):
    """The CRM asked us to wait longer than a run should sit idle."""

    reason_code = "retry_after_too_long"


class CrmAuthError(CrmError):
    """Credentials refused or missing: a person must fix the connection."""


class CrmApiError(CrmError):
    """The CRM refused a request: Salesforce's errorCode and message, and what we asked."""

    def __init__(self, tenant_id: str, status: int, error_code: str, message: str, request: str) -> None:
        super().__init__(tenant_id, f"{request} failed with HTTP {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.crm_message = message
        self.request = request


class PartlyRefused(CrmApiError):
    """The CRM refused part of one call (a composite's collection) and applied the rest:
    `results` holds the per-record results of the records it answered, None for those refused."""

    def __init__(self, refused: CrmApiError, results: list) -> None:
        super().__init__(refused.tenant_id, refused.status, refused.error_code, refused.crm_message, refused.request)
        self.results = results


class DeleteLogTooOld(CrmError):
    """The CRM's delete log no longer reaches back to the window asked for: compare Id sets instead."""


class CrmTransientError(CrmError):
    """A failure worth retrying (429, 5xx, a dropped connection, a truncated body)."""

    def __init__(self, tenant_id: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(tenant_id, message)
        self.retry_after = retry_after


class TenantDisconnected(CrmError):
    """T3: a disconnected tenant's CRM is not read or written."""
