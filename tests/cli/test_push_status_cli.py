"""`crm-pipelines push status`: no option combination crashes, and refusals and failures are
counted first with their reason, whatever the ledger holds (missing CRM ids, times, messages)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from crm_pipelines.cli.output import OK
from crm_pipelines.store.bulk import upsert_frame
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tables import crm_push_results
from tests.cli_runner import invoke

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _record(n: int, state: str, *, code: str | None = None, message: str | None = None, crm_id: str | None = None,
            at: datetime | None = AT) -> dict:
    return {"tenant_id": "acme", "sobject": "Lead", "external_id": f"prospect:p-{n:03d}", "kind": "new_lead",
            "app_object": "prospect", "app_id": f"p-{n:03d}", "crm_id": crm_id, "state": state, "attempts": 1,
            "sent_fields": None, "attempted_fields": {"LastName": "X"}, "error_code": code, "error_message": message,
            "last_attempt_at": at, "sent_at": at if state == "sent" else None, "run_id": None}


@pytest.fixture
def ledger(data_dir):
    rows = [_record(n, "sent", crm_id=f"00Q2i00000L{n:04d}AAB", at=AT + timedelta(minutes=n)) for n in range(1, 121)]
    rows += [
        _record(201, "failed", code="REQUIRED_FIELD_MISSING", message="Required fields are missing: [Company]"),
        _record(202, "failed", code="REQUIRED_FIELD_MISSING", message="Required fields are missing: [Company]", at=None),
        _record(203, "failed", code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message=None),
        _record(204, "pending", code="UNABLE_TO_LOCK_ROW", message="unable to obtain exclusive access"),
        _record(205, "pending", at=None),
    ]
    db = open_database(f"sqlite:///{data_dir / 'crm_pipelines.db'}")
    with db.transaction() as conn:
        upsert_frame(conn, crm_push_results, pd.DataFrame(rows), ["tenant_id", "sobject", "external_id"], context="test")
    return data_dir


STATES = [None, "pending", "sent", "failed"]
LIMITS = [None, "1", "3", "50", "200"]


@pytest.mark.parametrize(("state", "limit", "as_json"), list(itertools.product(STATES, LIMITS, [False, True])))
def test_every_option_combination_shows_the_ledger_without_crashing(ledger, state, limit, as_json):
    args = ["--data-dir", str(ledger), "push", "status", "--tenant", "acme"]
    args += ["--state", state] if state else []
    args += ["--limit", limit] if limit else []
    args += ["--json"] if as_json else []
    result = invoke(*args)
    assert result.exit_code == OK, result.output
    expected = {None: 125, "pending": 2, "sent": 120, "failed": 3}[state]
    shown = min(expected, int(limit or 50))
    if as_json:
        records = json.loads(result.stdout)["records"]
        assert len(records) == shown
        assert all(r["state"] == state for r in records) if state else True
    else:
        table = result.stdout.split("\n\n", 1)[1].splitlines()
        assert len([line for line in table if line.split()[0] in STATES]) == shown


def test_refusals_and_failures_are_counted_first_with_their_reason(ledger):
    out = invoke("--data-dir", str(ledger), "push", "status", "--tenant", "acme").stdout.splitlines()
    assert out[0] == ("tenant acme: 3 refused by the CRM, 1 failed (sent again at the next push), 2 pending, "
                      "120 sent")
    assert out[1].startswith("refused by the CRM")
    assert out[2].split(None, 1) == ["2", "REQUIRED_FIELD_MISSING: Required fields are missing: [Company]"]
    assert out[3].split(None, 1) == ["1", "FIELD_CUSTOM_VALIDATION_EXCEPTION"]
    assert out[4].startswith("failed (the call did not go through")
    assert out[5].split(None, 1) == ["1", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"]
    # The records follow, problems first: the refusals, then the pending ones, then the latest sent.
    states = [line.split()[0] for line in out[7:] if line.split() and line.split()[0] in STATES]
    assert states[:5] == ["failed", "failed", "failed", "pending", "pending"]
    assert "prospect:p-120" in out[7 + 6]


def test_the_json_summary_has_the_counts_and_reasons(ledger):
    data = json.loads(invoke("--data-dir", str(ledger), "push", "status", "--tenant", "acme", "--json").stdout)
    assert data["counts"] == {"pending": 2, "sent": 120, "failed": 3}
    assert data["refused"][0] == {"reason": "REQUIRED_FIELD_MISSING: Required fields are missing: [Company]",
                                  "records": 2}
    assert data["failed"] == [{"reason": "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access", "records": 1}]
