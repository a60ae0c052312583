from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crm_pipelines.sim.server import run_simulator
from crm_pipelines.sim.simulator import Simulator

API = "/services/data/v60.0"


class SalesforceApi:
    """A bare REST client for tests: a requests session holding one org's bearer token."""

    def __init__(self, sim: Simulator, org: str = "acme") -> None:
        self.sim = sim
        self.org = org
        self.session = requests.Session()
        self.session.trust_env = False
        if sim.ca_file:
            self.session.verify = sim.ca_file
        self.login()

    def login(self) -> str:
        reply = self.session.post(f"{self.sim.base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": self.org,
            "client_secret": f"{self.org}-secret"})
        reply.raise_for_status()
        token = reply.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        return token

    def url(self, path: str) -> str:
        """A full URL, a path from the host ("/services/..."), or one under /services/data/v60.0."""
        if path.startswith("http"):
            return path
        if path.startswith("/services/"):
            return self.sim.base_url + path
        return f"{self.sim.base_url}{API}/{path}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.session.post(self.url(path), **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.session.patch(self.url(path), **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.url(path), **kw)

    def query(self, soql: str, *, all_rows: bool = False, batch_size: int | None = None) -> list[dict]:
        """Every record of a query, following nextRecordsUrl."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        reply = self.get("queryAll" if all_rows else "query", params={"q": soql}, headers=headers)
        reply.raise_for_status()
        body = reply.json()
        records = body["records"]
        while not body["done"]:
            reply = self.get(f"{self.sim.base_url}{body['nextRecordsUrl']}", headers=headers)
            reply.raise_for_status()
            body = reply.json()
            records += body["records"]
        return records


class ControlApi:
    def __init__(self, sim: Simulator, org: str = "acme") -> None:
        self.base = f"{sim.base_url}/_sim/orgs/{org}"
        self.session = requests.Session()
        self.session.trust_env = False
        if sim.ca_file:
            self.session.verify = sim.ca_file

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        reply = self.session.request(method, f"{self.base}{path}", json=body, **kw)
        assert reply.status_code == 200, reply.text
        return reply.json()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with run_simulator(orgs=("acme", "globex")) as simulator:
        yield simulator


@pytest.fixture
def api(sim: Simulator) -> SalesforceApi:
    return SalesforceApi(sim)


@pytest.fixture
def control(sim: Simulator) -> ControlApi:
    return ControlApi(sim)
