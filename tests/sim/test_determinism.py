"""The same seed serves the same data (faults: see test_limits_and_faults)."""

from __future__ import annotations

from crm_pipelines.sim.server import run_simulator
from tests.sim.conftest import SalesforceApi

SOQL = "SELECT Id, Name, Website, OwnerId, CreatedDate, SystemModstamp, AnnualRevenue FROM Account ORDER BY Id"


def _accounts(seed: int) -> list[dict]:
    with run_simulator(orgs=("acme",), seed=seed) as sim:
        return SalesforceApi(sim).query(SOQL, all_rows=True)


def test_same_seed_gives_same_data_over_http():
    assert _accounts(5) == _accounts(5)


def test_another_seed_gives_other_data():
    assert _accounts(5) != _accounts(6)
