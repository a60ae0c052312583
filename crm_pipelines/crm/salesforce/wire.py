"""Salesforce's wire formats: datetimes, the Sforce-Limit-Info header, /limits, error bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pandas as pd

from crm_pipelines.crm.port import OrgUsage

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str | None) -> OrgUsage | None:
    """`api-usage=18/5000` (possibly followed by `; per-app-api-usage=...`) -> OrgUsage(18, 5000)."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    return OrgUsage(int(match.group(1)), int(match.group(2))) if match else None


def usage_from_limits(body: Any) -> OrgUsage | None:
    """OrgUsage from /limits' `DailyApiRequests` (Max and Remaining, integers or, in old orgs, strings)."""
    try:
        daily = body["DailyApiRequests"]
        maximum, remaining = int(daily["Max"]), int(daily["Remaining"])
    except (KeyError, TypeError, ValueError):
        return None
    return OrgUsage(maximum - remaining, maximum)


def parse_datetime(text: object) -> datetime | None:
    """A Salesforce datetime as REST writes it (`...+0000`) or a Bulk CSV (`...Z`), in UTC; None for
    none."""
    if not text:
        return None
    return pd.Timestamp(str(text)).tz_convert("UTC").to_pydatetime()


def parse_http_date(header: str | None) -> datetime | None:
    """An HTTP `Date` header as an aware UTC datetime; None when absent or unreadable."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def error_of(body: Any) -> tuple[str, str]:
    """(errorCode, message) from a REST error body `[{"message","errorCode"}]` or OAuth's object."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        return str(first.get("errorCode", "UNKNOWN_ERROR")), str(first.get("message", ""))
    if isinstance(body, dict):
        if "error" in body:
            return str(body["error"]), str(body.get("error_description", ""))
        return str(body.get("errorCode", "UNKNOWN_ERROR")), str(body.get("message", ""))
    return "UNKNOWN_ERROR", str(body)[:500]
