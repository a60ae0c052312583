"""An Insightly org of the simulator over real HTTP, and the adapter for it as a tenant would get it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest
from pydantic import SecretStr

from crm_pipelines.crm.insightly.adapter import InsightlyCrm
from crm_pipelines.crm.insightly.client import InsightlyClient
from crm_pipelines.crm.http_calls import ClientPolicy
from crm_pipelines.sim.insightly.integer_ids import integer_id
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.sim.simulator import Simulator

ORG = "hooli"
KEY_VARIABLE = "HOOLI_INSIGHTLY_KEY"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # small: 6,000 contacts, so reads page past Insightly's 500 a call.
    with run_simulator(orgs=(f"{ORG}:insightly",), scale="small", seed=5) as simulator:
        # Insightly's 10 calls a second would only slow these tests; one test sets the rate itself.
        simulator.second_rate(ORG).per_second = 1_000_000
        yield simulator


def adapter(sim: Simulator, *, key: str = ORG, reserve_call: Callable[[], object] = lambda: None,
            sleep: Callable[[float], None] | None = None, max_attempts: int = 4) -> InsightlyCrm:
    # Retries wait through `sleep`: a test sees the waits asked for instead of sitting them out.
    policy = ClientPolicy(max_attempts=max_attempts, initial_backoff=0.01, max_backoff=0.05)
    client = InsightlyClient(tenant_id=ORG, base_url=sim.base_url, api_key=SecretStr(key),
                             api_key_name=KEY_VARIABLE, reserve_call=reserve_call, clock=lambda: NOW,
                             policy=policy, sleep=sleep or (lambda seconds: None))
    return InsightlyCrm(client)


def number(record_id: str) -> str:
    """The Insightly id (as the pipeline keeps it: text) of the org's record `record_id`."""
    return str(integer_id(record_id))


def to_the_second(value: object) -> str:
    return pd.Timestamp(value).tz_convert("UTC").floor("s").isoformat()


def calls_to_read(records: int, top: int = 500, overlap: int = 10) -> int:
    """Calls a read of `records` takes: pages of `top` overlapping by `overlap`, until one is short."""
    calls, skip = 0, 0
    while True:
        calls += 1
        if records - skip < top:
            return calls
        skip += top - overlap
