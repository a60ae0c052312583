"""A tenant is stale once twice its sync frequency and 15 minutes have passed since its last
completed sync; one that never completed counts from its connection; a disconnected one is not watched."""

from datetime import UTC, datetime, timedelta

from crm_pipelines.core.freshness import TenantSync, allowed_age, freshness, stale_tenants

NOON = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def tenant(last=None, *, frequency=HOUR, connected=True, connected_at=NOON - 10 * HOUR, tenant_id="acme"):
    return TenantSync(tenant_id, connected=connected, frequency=frequency, last_completed_at=last,
                      connected_at=connected_at)


def test_the_allowed_age_is_twice_the_frequency_and_a_quarter_of_an_hour():
    assert allowed_age(timedelta(minutes=5)) == timedelta(minutes=25)
    assert allowed_age(timedelta(minutes=240)) == timedelta(hours=8, minutes=15)


def test_fresh_until_the_allowed_age_has_passed_since_the_last_completed_sync():
    last = NOON - 2 * HOUR - timedelta(minutes=14)
    verdict = freshness(tenant(last), NOON)
    assert verdict.watched and not verdict.stale
    assert verdict.stale_from == NOON + timedelta(minutes=1)
    assert verdict.reason == "fresh until 2024-05-06 12:01Z (counted from 2024-05-06 09:46Z)"


def test_stale_once_the_allowed_age_has_passed():
    last = NOON - 2 * HOUR - timedelta(minutes=15)
    verdict = freshness(tenant(last), NOON)
    assert verdict.stale
    assert verdict.reason == "stale since 2024-05-06 12:00Z: no completed sync since 2024-05-06 09:45Z"


def test_each_tenant_by_its_own_frequency():
    last = NOON - 3 * HOUR
    assert freshness(tenant(last, frequency=HOUR), NOON).stale
    assert not freshness(tenant(last, frequency=2 * HOUR), NOON).stale


def test_a_tenant_that_never_completed_a_sync_counts_from_its_connection():
    assert not freshness(tenant(None, connected_at=NOON - 2 * HOUR), NOON).stale
    assert freshness(tenant(None, connected_at=NOON - 3 * HOUR), NOON).stale


def test_a_disconnected_tenant_is_not_watched():
    verdict = freshness(tenant(NOON - 100 * HOUR, connected=False), NOON)
    assert not verdict.watched and not verdict.stale


def test_the_stale_set():
    tenants = [tenant(NOON - 10 * HOUR, tenant_id="acme"), tenant(NOON, tenant_id="globex"),
               tenant(NOON - 10 * HOUR, connected=False, tenant_id="initech")]
    assert stale_tenants(tenants, NOON) == {"acme"}
