"""When a tenant's data may feed matching and pushes, and what a threshold crossing is (S1, O4, P4c)."""

from datetime import UTC, datetime

import pandas as pd

from crm_pipelines.core.outbound.interest import threshold_crossings
from crm_pipelines.core.sync_chain import ChainState, DeferredExtraction, extraction_verdict, push_verdict

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OBJECTS = ("Account", "Contact", "Lead")


def test_the_extraction_is_complete_only_with_every_object_fully_synced_and_nothing_deferred():
    assert extraction_verdict(OBJECTS, set(OBJECTS), []).ready
    deferred = extraction_verdict(OBJECTS, {"Account"}, [DeferredExtraction(("Lead",), "daily API budget used up", T)])
    assert not deferred.ready
    assert "Lead deferred (daily API budget used up), resuming at 2026-03-02T10:00:00+00:00" in deferred.reason
    assert "Contact not fully synced yet" in deferred.reason
    # An incremental sync deferred after a complete first sync: still incomplete.
    assert not extraction_verdict(OBJECTS, set(OBJECTS), [DeferredExtraction(("Contact",), "budget", T)]).ready


def test_a_push_waits_for_a_completed_chain_with_nothing_deferred_or_stopped_since():
    done = ChainState(completed_at=T)
    assert push_verdict(done, []).ready
    assert not push_verdict(None, []).ready
    assert "deferred" in push_verdict(done, [DeferredExtraction(("Lead",), "budget", T)]).reason
    stopped = ChainState(completed_at=T, incomplete_since=T, incomplete_reason="extraction incomplete: Lead deferred")
    assert not push_verdict(stopped, []).ready


def test_only_a_score_going_from_below_to_above_is_a_crossing():
    changes = pd.DataFrame({"tenant_id": "acme", "prospect_id": ["p-up", "p-down"],
                            "above": [True, False], "was_above": [False, True]})
    assert threshold_crossings(changes).set_index("prospect_id")["crossed"].to_dict() == {"p-up": True, "p-down": False}
