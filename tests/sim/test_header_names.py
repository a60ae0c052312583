"""Response header names as the real APIs spell them, on the wire: a client that looks a header up
case-sensitively (airbyte-cdk reads `dict(response.headers).get("content-type")`, which finds nothing
against Salesforce's `Content-Type`) must see what it sees against the real API."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests

from crm_pipelines.sim.header_case import spelled
from crm_pipelines.sim.server import run_simulator


def _response_head(base_url: str, request: str) -> list[str]:
    """The status line and header lines exactly as the server wrote them."""
    where = urlsplit(base_url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        conn.sendall(request.encode("latin-1"))
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")


def _names(head: list[str]) -> set[str]:
    return {line.split(":", 1)[0] for line in head[1:]}


def test_salesforce_answers_spell_their_header_names_as_salesforce_does():
    with run_simulator(orgs=("acme",), scale="small") as sim:
        session = requests.Session()
        session.trust_env = False
        token = session.post(f"{sim.base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret"}).json()["access_token"]
        host = urlsplit(sim.base_url).netloc
        head = _response_head(sim.base_url, f"GET /services/data/v62.0/query?q=SELECT+Id+FROM+Lead HTTP/1.1\r\n"
                                            f"Host: {host}\r\nAuthorization: Bearer {token}\r\n\r\n")
        assert head[0].startswith("HTTP/1.1 200")
        assert {"Content-Type", "Sforce-Limit-Info"} <= _names(head), head
        assert not any(name != spelled(name.encode()).decode() for name in _names(head)), head

        reply = session.get(f"{sim.base_url}/services/data/v62.0/limits", headers={"Authorization": f"Bearer {token}"})
        # What airbyte-cdk does: a plain dict of the headers, looked up by the lower-case name.
        assert dict(reply.headers).get("content-type") is None
        assert dict(reply.headers)["Content-Type"].startswith("application/json")


def test_insightly_answers_spell_their_rate_limit_headers_as_insightly_does():
    with run_simulator(orgs=("hooli:insightly",), scale="small") as sim:
        reply = requests.get(f"{sim.base_url}/v3.1/Contacts", params={"top": 1, "count_total": "true"},
                             auth=("hooli", ""))
        reply.raise_for_status()
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Total-Count", "Content-Type"} <= set(dict(reply.headers))


def test_spelling_capitalises_each_word_and_keeps_the_apis_own_exceptions():
    assert spelled(b"content-type") == b"Content-Type"
    assert spelled(b"sforce-limit-info") == b"Sforce-Limit-Info"
    assert spelled(b"sforce-numberofrecords") == b"Sforce-NumberOfRecords"
    assert spelled(b"x-ratelimit-remaining") == b"X-RateLimit-Remaining"
    assert spelled(b"www-authenticate") == b"WWW-Authenticate"
