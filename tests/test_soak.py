"""The soak, short: one tenant through a few sync and push cycles with edits on both sides, a budget
running out, the CRM's faults, the org's own limit and a run killed with SIGKILL; every invariant
checked against the simulator's records and the app's tables (`make soak` runs 20 cycles)."""

import pytest

from soak.cycles import run_soak
from tests.sim_tenants import db_url


@pytest.mark.slow
def test_a_short_soak_keeps_every_invariant(sqlite_db):
    lines: list[str] = []
    report = run_soak(db_url(sqlite_db), cycles=5, seed=11, echo=lines.append)
    output = "\n".join(lines)
    assert report.cycles == 5
    assert report.killed >= 1, output
    assert report.deferrals >= 2 and report.resumed >= 2, output
    assert all(report.troubles[t] >= 1 for t in ("budget", "faults", "org_limit", "kill")), output
    assert all(c.checked > 0 for c in report.checks), output
    assert report.deleted_from_lists >= 1, output  # a deleted record had to leave a list
    assert report.ok, output
