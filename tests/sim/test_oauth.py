"""The token endpoint and sessions: the access token decides the org."""

from __future__ import annotations

import base64
import hashlib
import hmac

import requests

from tests.sim.conftest import API, SalesforceApi

TOKEN = "/services/oauth2/token"


def _token(sim, **form) -> requests.Response:
    return requests.post(sim.base_url + TOKEN, data=form)


def test_client_credentials_in_form_fields_give_a_bearer_token(sim):
    reply = _token(sim, grant_type="client_credentials", client_id="acme", client_secret="acme-secret")
    body = reply.json()
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == sim.base_url
    org = sim.org("acme")
    assert body["id"] == f"{sim.base_url}/id/{org.org_id}/{org.integration_user_id()}"
    assert body["issued_at"] == str(int(body["issued_at"]))
    assert body["access_token"].startswith(org.org_id[:15] + "!")


def test_signature_is_hmac_of_id_and_issued_at_with_the_client_secret(sim):
    body = _token(sim, grant_type="client_credentials", client_id="acme",
                  client_secret="acme-secret").json()
    expected = hmac.new(b"acme-secret", (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    assert base64.b64decode(body["signature"]) == expected


def test_client_credentials_by_http_basic_auth(sim):
    reply = requests.post(sim.base_url + TOKEN, data={"grant_type": "client_credentials"},
                          auth=("globex", "globex-secret"))
    assert reply.status_code == 200
    assert reply.json()["id"].split("/")[-2] == sim.org("globex").org_id


def test_password_grant_takes_an_active_users_username(sim):
    username = sim.credentials("acme")["username"]
    reply = _token(sim, grant_type="password", client_id="acme", client_secret="acme-secret",
                   username=username, password="acme-password")
    assert reply.status_code == 200
    user_id = reply.json()["id"].split("/")[-1]
    assert sim.org("acme").record("User", user_id)["Username"] == username


def test_wrong_password_is_invalid_grant(sim):
    username = sim.credentials("acme")["username"]
    reply = _token(sim, grant_type="password", client_id="acme", client_secret="acme-secret",
                   username=username, password="nope")
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_user_of_another_org_is_invalid_grant(sim):
    username = sim.credentials("globex")["username"]
    reply = _token(sim, grant_type="password", client_id="acme", client_secret="acme-secret",
                   username=username, password="acme-password")
    assert reply.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(sim):
    reply = _token(sim, grant_type="client_credentials", client_id="acme", client_secret="globex-secret")
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}


def test_unknown_client_id_is_invalid_client_id(sim):
    reply = _token(sim, grant_type="client_credentials", client_id="umbrella", client_secret="umbrella-secret")
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}


def test_other_grant_types_are_unsupported(sim):
    reply = _token(sim, grant_type="authorization_code", client_id="acme", client_secret="acme-secret")
    assert reply.status_code == 400
    assert reply.json() == {"error": "unsupported_grant_type", "error_description": "grant type not supported"}


def test_the_token_decides_the_org(sim):
    acme, globex = SalesforceApi(sim, "acme"), SalesforceApi(sim, "globex")
    sim.org("globex").create("Account", {"Name": "Only In Globex"})
    soql = "SELECT Id FROM Account WHERE Name = 'Only In Globex'"
    assert len(globex.query(soql)) == 1
    assert acme.query(soql) == []


def test_missing_or_unknown_token_is_401_invalid_session_id_without_usage_header(sim):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        reply = requests.get(f"{sim.base_url}{API}/limits", headers=headers)
        assert reply.status_code == 401
        assert reply.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        assert "Sforce-Limit-Info" not in reply.headers
    assert sim.org("acme").api_usage()["used"] == 0


def test_expiring_an_orgs_tokens_forces_a_new_login(sim, api, control):
    assert api.get("limits").status_code == 200
    assert control.call("POST", "/tokens/expire") == {"expired": 1}
    assert api.get("limits").status_code == 401
    api.login()
    assert api.get("limits").status_code == 200


def test_tokens_expire_after_their_lifetime_by_the_org_clock(sim, api, control):
    control.call("PUT", "/tokens/lifetime", {"seconds": 60})
    api.login()
    control.call("POST", "/clock/advance", {"seconds": 59})
    assert api.get("limits").status_code == 200
    control.call("POST", "/clock/advance", {"seconds": 2})
    assert api.get("limits").status_code == 401


def test_identity_url_describes_the_tokens_user(sim, api):
    identity_url = api.session.post(sim.base_url + TOKEN, data={
        "grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret"}).json()["id"]
    body = api.get(identity_url).json()
    org = sim.org("acme")
    assert body["organization_id"] == org.org_id
    assert body["user_id"] == org.integration_user_id()
    assert body["username"] == org.record("User", body["user_id"])["Username"]


def test_tokens_can_be_issued_in_process_for_a_named_user(sim):
    username = sim.credentials("globex")["username"]
    token = sim.issue_token("globex", username)
    reply = requests.get(f"{sim.base_url}{API}/limits", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    assert sim.org("globex").api_usage()["used"] == 1
