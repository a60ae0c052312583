"""The Salesforce client against the simulator over real HTTP: paging, logins, retries, refusals.

Each test counts what reached the simulator (its own request log and usage), not what the client
believes it sent.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from crm_pipelines.crm.salesforce.client import ClientPolicy, SalesforceClient
from crm_pipelines.crm.errors import (
    BudgetExhausted,
    CrmApiError,
    CrmAuthError,
    CrmTransientError,
    OrgLimitExceeded,
    OrgNearLimit,
    RetryAfterTooLong,
)
from crm_pipelines.settings import CrmConnection, validated
from crm_pipelines.settings.credentials import ResolvedCredentials
from crm_pipelines.sim.server import run_simulator

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_tenant_ids = itertools.count()


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="small", seed=11) as served:
        yield served


@pytest.fixture(autouse=True)
def _tidy_org(sim):
    yield
    org = sim.org("acme")
    org.set_faults(None)
    org.reset_api_window()
    org.set_api_limit(1_000_000)


def client_of(sim, *, secret: str = "acme-secret", reserve_call=lambda: None, **options) -> SalesforceClient:
    connection = validated(CrmConnection, {
        "login_url": sim.base_url,
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"},
    })
    # A tenant id of its own per client, so no two share a login even when given the same Logins.
    return SalesforceClient(
        tenant_id=f"client-test-{next(_tenant_ids)}", connection=connection,
        credentials=ResolvedCredentials(grant="client_credentials", client_id="acme", client_secret=secret),
        reserve_call=reserve_call, clock=lambda: NOW, sleep=lambda seconds: None,
        policy=options.pop("policy", ClientPolicy(max_attempts=4)), **options,
    )


def requests_seen(sim) -> int:
    return len(sim.org("acme").requests())


def test_a_query_follows_every_page_and_returns_each_record_once(sim):
    client = client_of(sim)
    expected = set(sim.org("acme").rows("Contact", include_deleted=False)["Id"])

    pages = list(client.query_pages("SELECT Id, LastName FROM Contact", batch_size=200))

    ids = [record["Id"] for page in pages for record in page.records]
    assert len(pages) == -(-len(expected) // 200) > 1
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert pages[-1].done and not any(page.done for page in pages[:-1])
    assert pages[0].total_size == len(expected)


def test_queryall_includes_deleted_records_and_query_does_not(sim):
    org = sim.org("acme")
    victim = str(org.rows("Lead", include_deleted=False)["Id"].iloc[0])
    org.delete("Lead", victim)
    client = client_of(sim)

    live = {r["Id"] for p in client.query_pages("SELECT Id FROM Lead") for r in p.records}
    every = {r["Id"] for p in client.query_pages("SELECT Id, IsDeleted FROM Lead", include_deleted=True) for r in p.records}

    assert victim not in live and victim in every
    assert every - live == set(org.rows("Lead", include_deleted=True).query("IsDeleted")["Id"])
    org.undelete("Lead", victim)


def test_every_request_login_included_asks_the_budget_first_and_a_refusal_sends_nothing(sim):
    allowed = 3
    asked = []

    def reserve_call():
        asked.append(1)
        if len(asked) > allowed:
            raise BudgetExhausted("client-test", "daily API budget used up (3 of 3 calls in the last 24 hours)",
                                  NOW + timedelta(hours=24))

    client = client_of(sim, reserve_call=reserve_call)
    before = requests_seen(sim)
    with pytest.raises(BudgetExhausted, match="3 of 3"):
        list(client.query_pages("SELECT Id FROM Contact", batch_size=200))

    # The login (not an API call, not in the org's request log) and two query pages were sent.
    assert client.calls_sent == allowed
    assert requests_seen(sim) - before == allowed - 1


def test_a_login_shared_by_clients_of_one_tenant_and_renewed_once_when_the_org_ends_it(sim):
    first = client_of(sim)
    first.limits()
    second = SalesforceClient(tenant_id=first.tenant_id, connection=first.connection, credentials=first.credentials,
                              reserve_call=lambda: None, clock=lambda: NOW, sleep=lambda s: None, logins=first.logins)
    second.limits()
    assert second.calls_sent == 1  # no login of its own

    sim.expire_tokens("acme")
    second.limits()
    # 401, a new login, the call again.
    assert second.calls_sent == 1 + 3


def test_a_bad_secret_is_an_auth_error_naming_the_login_url_and_never_the_secret(sim):
    client = client_of(sim, secret="wrong-secret-value")

    with pytest.raises(CrmAuthError) as refused:
        client.limits()

    assert sim.base_url in str(refused.value)
    assert "wrong-secret-value" not in str(refused.value) and "wrong-secret-value" not in repr(client)


def test_transient_failures_are_retried_until_the_answer_comes(sim):
    client = client_of(sim)
    client.limits()  # logged in
    sim.org("acme").set_faults("500x1,503x1,truncate x1".replace(" ", ""))

    body = client.limits()

    assert "DailyApiRequests" in body
    statuses = [r.status for r in sim.org("acme").requests()[-4:]]
    assert statuses[:2] == [500, 503] and statuses[-1] == 200
    assert client.calls_sent == 2 + 4  # the first call and its login, then four attempts


def test_failures_past_the_attempts_allowed_raise_a_transient_error_saying_what_was_asked(sim):
    client = client_of(sim)
    client.limits()
    sim.org("acme").set_faults("500x10")

    with pytest.raises(CrmTransientError, match="limits: HTTP 500"):
        client.limits()

    assert client.calls_sent == 1 + 1 + 4


def test_a_retry_after_longer_than_a_run_should_wait_is_not_now_with_its_resume_time(sim):
    client = client_of(sim)
    client.limits()
    sim.org("acme").set_faults("429=600x1")

    with pytest.raises(RetryAfterTooLong) as later:
        client.limits()

    assert later.value.resume_at == NOW + timedelta(seconds=600)


def test_the_orgs_own_limit_exceeded_is_not_now_for_the_policy_backoff(sim):
    client = client_of(sim, policy=ClientPolicy(org_limit_backoff=timedelta(minutes=90)))
    client.limits()
    org = sim.org("acme")
    org.set_api_limit(org.api_usage()["used"])

    with pytest.raises(OrgLimitExceeded, match="REQUEST_LIMIT_EXCEEDED") as refused:
        client.limits()

    assert refused.value.resume_at == NOW + timedelta(minutes=90)


def test_the_orgs_usage_is_read_from_limits_and_every_answer_and_the_reserve_holds_calls_back(sim):
    org = sim.org("acme")
    org.set_api_limit(100)
    client = client_of(sim, org_reserve_percent=20.0)

    usage = client.read_org_usage()
    assert usage is not None and usage.max == 100 and usage.used == org.api_usage()["used"]

    org.use_api_calls(79 - org.api_usage()["used"])  # other integrations of the org spend up to the reserve
    client.limits()  # 80 of 100 used now, read from the answer's Sforce-Limit-Info
    assert client.last_usage.used == 80
    before = requests_seen(sim)

    with pytest.raises(OrgNearLimit):
        client.limits()

    assert requests_seen(sim) == before  # held back, not sent


def test_a_refused_request_carries_the_crms_error_code_and_message(sim):
    client = client_of(sim)

    with pytest.raises(CrmApiError) as refused:
        list(client.query_pages("SELECT Nope FROM Contact"))

    assert refused.value.status == 400
    assert refused.value.error_code == "INVALID_FIELD"
    assert "Nope" in refused.value.crm_message


def test_the_delete_log_lists_a_record_deleted_in_the_window(sim):
    org = sim.org("acme")
    victim = str(org.rows("Account", include_deleted=False)["Id"].iloc[-1])
    start = org.clock.now().to_pydatetime() - timedelta(minutes=1)
    org.delete("Account", victim)
    org.advance_clock(120)  # the log covers whole minutes up to the org's current one
    client = client_of(sim)

    body = client.deleted("Account", start, start + timedelta(minutes=5))

    assert victim in {entry["id"] for entry in body["deletedRecords"]}
    org.undelete("Account", victim)
