"""`sim serve --orgs acme,hooli:insightly` serves both dialects from one server."""

from __future__ import annotations

import signal

import requests

from tests.sim.test_cli import _base_url, _serve


def test_serve_serves_an_insightly_org_under_v3_1_with_its_name_as_api_key() -> None:
    process = _serve("--orgs", "acme,hooli:insightly", "--api-limit", "7", "--clock", "fixed")
    try:
        base_url = _base_url(process)
        users = requests.get(f"{base_url}/v3.1/Users", auth=("hooli", ""))
        assert users.status_code == 200 and users.json()
        assert (users.headers["X-RateLimit-Limit"], users.headers["X-RateLimit-Remaining"]) == ("7", "6")
        assert requests.get(f"{base_url}/v3.1/Users", auth=("acme", "")).status_code == 401
        token = requests.post(f"{base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret"})
        assert token.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_serve_refuses_an_unknown_dialect() -> None:
    process = _serve("--orgs", "acme,hooli:zoho")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "hooli:zoho" in output
