from crm_pipelines.crm.port import OrgUsage
from crm_pipelines.crm.salesforce.wire import error_of, parse_limit_info


def test_limit_info_plain_and_with_suffixes():
    assert parse_limit_info("api-usage=18/5000") == OrgUsage(18, 5000)
    assert parse_limit_info("api-usage=25/5000; per-app-api-usage=17/250(appName=sample)") == OrgUsage(25, 5000)
    assert parse_limit_info(None) is None
    assert parse_limit_info("garbage") is None


def test_error_bodies_rest_and_oauth():
    assert error_of([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]) == (
        "INVALID_SESSION_ID", "Session expired or invalid")
    assert error_of({"error": "invalid_grant", "error_description": "authentication failure"}) == (
        "invalid_grant", "authentication failure")


def test_limits_daily_api_requests_as_integers_or_strings():
    from crm_pipelines.crm.salesforce.wire import usage_from_limits

    assert usage_from_limits({"DailyApiRequests": {"Max": 5000, "Remaining": 4980}}) == OrgUsage(20, 5000)
    assert usage_from_limits({"DailyApiRequests": {"Max": "5000", "Remaining": "4980"}}) == OrgUsage(20, 5000)
    assert usage_from_limits({"DataStorageMB": {"Max": 5, "Remaining": 5}}) is None


def test_http_date_is_the_crms_clock_in_utc():
    from datetime import UTC, datetime

    from crm_pipelines.crm.salesforce.wire import parse_http_date

    assert parse_http_date("Mon, 01 Jun 2026 12:00:05 GMT") == datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)
    assert parse_http_date(None) is None
    assert parse_http_date("yesterday") is None
