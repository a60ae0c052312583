from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crm_pipelines.sim.server import run_simulator
from crm_pipelines.sim.simulator import Simulator

ORG = "hooli"


class InsightlyClient:
    """A bare Insightly API v3.1 client as its public reference describes it: HTTP Basic with the
    API key as user name and an empty password, JSON bodies, paths under /v3.1/."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base = f"{base_url}/v3.1/"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (api_key, "")
        self.session.headers["Accept"] = "application/json"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(self.base + path, json=body)

    def put(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.put(self.base + path, json=body)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.base + path)

    def all_pages(self, path: str, top: int = 500, **params: Any) -> tuple[list[dict[str, Any]], int]:
        """Every record of a list or search, page by page, and the total the first page reported."""
        first = self.get(path, skip=0, top=top, count_total="true", **params)
        first.raise_for_status()
        total = int(first.headers["X-Total-Count"])
        found = list(first.json())
        while len(found) < total:
            page = self.get(path, skip=len(found), top=top, **params)
            page.raise_for_status()
            if not page.json():
                break
            found += page.json()
        return found, total


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with run_simulator(orgs=("acme", f"{ORG}:insightly")) as simulator:
        # Insightly's 10 calls a second would make these tests wait; the rate has a test of its own.
        simulator.second_rate(ORG).per_second = 1_000_000
        yield simulator


@pytest.fixture
def insightly(sim: Simulator) -> InsightlyClient:
    return InsightlyClient(sim.base_url, ORG)


def control(sim: Simulator, method: str, path: str, body: Any = None) -> Any:
    reply = requests.request(method, f"{sim.base_url}/_sim/orgs/{ORG}{path}", json=body)
    reply.raise_for_status()
    return reply.json()
