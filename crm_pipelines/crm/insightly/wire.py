"""Insightly's wire formats: its date and time text, the X-RateLimit headers, error bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from crm_pipelines.crm.port import OrgUsage

# Insightly writes every time as UTC text without a zone: `2026-04-09 16:58:14`.
INSIGHTLY_TIME = "%Y-%m-%d %H:%M:%S"
LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"


def parse_time(text: Any) -> datetime | None:
    """`2026-04-09 16:58:14` (Insightly's own spelling; UTC) as an aware UTC datetime."""
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_time(text: Any) -> str | None:
    """Insightly's time as the pipeline's ISO 8601 text (`2026-04-09T16:58:14+00:00`)."""
    moment = parse_time(text)
    return None if moment is None else moment.isoformat()


def iso_date(text: Any) -> str | None:
    """A date Insightly sends as midnight of its day (`2026-04-09 00:00:00`) as `2026-04-09`."""
    return None if not text else str(text)[:10]


def insightly_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(INSIGHTLY_TIME)


def search_time(moment: datetime) -> str:
    """`updated_after_utc`'s ISO 8601 form, as Insightly's reference writes it: `2026-04-09T16:58:14Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def usage_of(headers: Mapping[str, str]) -> OrgUsage | None:
    """The org's daily allowance and what is left of it, as every answer reports them."""
    try:
        limit, remaining = int(headers[LIMIT_HEADER]), int(headers[REMAINING_HEADER])
    except (KeyError, TypeError, ValueError):
        return None
    return OrgUsage(max(0, limit - remaining), limit)


def daily_allowance_spent(headers: Mapping[str, str]) -> bool:
    """A 429 with nothing left of the day's allowance is the daily limit; otherwise the per-second rate."""
    try:
        return int(headers[REMAINING_HEADER]) <= 0
    except (KeyError, TypeError, ValueError):
        return False


_ERROR_CODES = {400: "BadRequest", 402: "PaymentRequired", 403: "Forbidden", 404: "NotFound",
                405: "MethodNotAllowed", 409: "Conflict", 417: "ExpectationFailed"}


def error_of(status: int, body: Any) -> tuple[str, str]:
    """(code, message) of a refusal: Insightly answers `{"Message": ...}` and no code of its own,
    so the status names it."""
    message = body.get("Message") if isinstance(body, dict) else None
    return _ERROR_CODES.get(status, f"HTTP{status}"), str(message if message is not None else body)[:500]
