"""When a tenant's data may feed matching and pushes (S1, O4)."""

from datetime import UTC, datetime

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
