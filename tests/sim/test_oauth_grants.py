"""The token endpoint's grants as a real org answers them, over HTTP: client credentials, password
and refresh token, each with instance_url and id; a wrong password or refresh token is invalid_grant."""

from __future__ import annotations

import requests

from crm_pipelines.sim.oauth_api import refresh_token
from crm_pipelines.sim.simulator import Simulator

TOKEN = "/services/oauth2/token"


def _token(sim, **form) -> requests.Response:
    return requests.post(sim.base_url + TOKEN, data=form)


def _org_listing(sim) -> list[dict]:
    reply = requests.get(f"{sim.base_url}/_sim/orgs")
    assert reply.status_code == 200
    return reply.json()


def test_orgs_listing_shows_each_orgs_refresh_token_beside_its_name(sim):
    listed = _org_listing(sim)
    assert [list(org)[:2] for org in listed] == [["name", "refreshToken"]] * len(listed)
    tokens = {org["name"]: org["refreshToken"] for org in listed}
    assert tokens == {name: refresh_token(name, sim.org(name).seed) for name in ("acme", "globex")}
    assert tokens["acme"] != tokens["globex"]
    assert tokens["acme"].startswith("5Aep861")


def test_refresh_token_is_deterministic_by_org_name_and_seed():
    assert refresh_token("acme", 1) == refresh_token("acme", 1)
    assert refresh_token("acme", 1) != refresh_token("acme", 2)
    assert refresh_token("acme", 1) != refresh_token("globex", 1)
    again = Simulator.generated(("acme",), seed=1)
    assert refresh_token("acme", again.org("acme").seed) == refresh_token("acme", 1)


def test_refresh_token_grant_gives_a_working_token_with_instance_url_and_id(sim):
    token = _org_listing(sim)[0]["refreshToken"]
    reply = _token(sim, grant_type="refresh_token", client_id="acme", client_secret="acme-secret",
                   refresh_token=token)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"} <= set(body)
    assert "refresh_token" not in body
    org = sim.org("acme")
    assert body["instance_url"] == sim.base_url
    assert body["id"] == f"{sim.base_url}/id/{org.org_id}/{org.integration_user_id()}"
    limits = requests.get(f"{body['instance_url']}/services/data/v60.0/limits",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert limits.status_code == 200
    identity = requests.get(body["id"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert identity.json()["organization_id"] == org.org_id


def test_refresh_token_grant_without_a_client_secret(sim):
    reply = _token(sim, grant_type="refresh_token", client_id="acme",
                   refresh_token=refresh_token("acme", sim.org("acme").seed))
    assert reply.status_code == 200


def test_bad_refresh_token_is_invalid_grant(sim):
    for bad in ("5Aep861nope", "", refresh_token("globex", sim.org("globex").seed)):
        reply = _token(sim, grant_type="refresh_token", client_id="acme", client_secret="acme-secret",
                       refresh_token=bad)
        assert reply.status_code == 400
        assert reply.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}


def test_refresh_token_grant_with_a_wrong_secret_is_invalid_client(sim):
    reply = _token(sim, grant_type="refresh_token", client_id="acme", client_secret="wrong",
                   refresh_token=refresh_token("acme", sim.org("acme").seed))
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_client"


def test_password_and_client_credentials_answers_carry_instance_url_and_id(sim):
    credentials = sim.credentials("acme")
    for form in ({"grant_type": "client_credentials"},
                 {"grant_type": "password", "username": credentials["username"],
                  "password": credentials["password"]}):
        body = _token(sim, client_id="acme", client_secret="acme-secret", **form).json()
        assert body["instance_url"] == sim.base_url
        assert body["id"].startswith(f"{sim.base_url}/id/{sim.org('acme').org_id}/")


def test_wrong_password_is_invalid_grant(sim):
    reply = _token(sim, grant_type="password", client_id="acme", client_secret="acme-secret",
                   username=sim.credentials("acme")["username"], password="wrong")
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"


def test_unknown_grant_type_is_unsupported(sim):
    reply = _token(sim, grant_type="authorization_code", client_id="acme", client_secret="acme-secret")
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"
