from crm_pipelines.crm.wire import OrgUsage, error_of, parse_limit_info


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
