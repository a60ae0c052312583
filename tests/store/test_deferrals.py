"""Deferrals: one per run, struck off as objects complete, never two open for the same work."""

from datetime import UTC, datetime, timedelta

from crm_pipelines.store.deferrals import DeferralStore

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def test_a_run_deferring_several_objects_gets_one_deferral_resuming_at_the_latest(db):
    store = DeferralStore(db)
    first = store.record("acme", "crm_sync", ["Contact"], "budget", T0 + timedelta(hours=24), T0, "run-1")
    second = store.record("acme", "crm_sync", ["Lead"], "budget", T0 + timedelta(hours=25), T0, "run-1")
    assert first == second
    [deferral] = store.open("acme")
    assert deferral.objects == ("Contact", "Lead")
    assert deferral.resume_at == T0 + timedelta(hours=25)


def test_completing_every_deferred_object_resolves_the_deferral(db):
    store = DeferralStore(db)
    store.record("acme", "crm_sync", ["Contact", "Lead"], "budget", T0, T0, "run-1")
    assert store.complete("acme", "crm_sync", "Contact", T0) == 0
    assert store.open("acme")[0].objects == ("Lead",)
    assert store.complete("acme", "crm_sync", "Lead", T0) == 1
    assert store.open("acme") == []


def test_a_newer_deferral_supersedes_the_same_objects_of_an_older_one(db):
    store = DeferralStore(db)
    store.record("acme", "crm_sync", ["Contact", "User"], "budget", T0, T0, "run-1")
    store.complete("acme", "crm_sync", "Contact", T0)
    store.record("acme", "crm_sync", ["User"], "budget", T0 + timedelta(days=1), T0, "run-2")
    [open_one] = store.open("acme")
    assert open_one.run_id == "run-2" and open_one.objects == ("User",)


def test_due_only_after_resume_at_and_per_tenant(db):
    store = DeferralStore(db)
    store.record("acme", "crm_sync", ["Contact"], "budget", T0 + timedelta(hours=1), T0, "run-1")
    store.record("globex", "crm_sync", ["Lead"], "budget", T0 + timedelta(hours=3), T0, "run-2")
    assert store.due(T0) == []
    assert [d.tenant_id for d in store.due(T0 + timedelta(hours=1))] == ["acme"]
    assert [d.tenant_id for d in store.due(T0 + timedelta(hours=3))] == ["acme", "globex"]


def test_a_resuming_run_that_defers_several_objects_leaves_one_open_deferral(db):
    # run-2 resumes run-1's deferral and runs out again on Lead, then on User: both belong to
    # run-2's deferral alone, or the old one would be relaunched for work the new one carries.
    store = DeferralStore(db)
    store.record("acme", "crm_sync", ["Contact", "Lead", "User"], "budget", T0, T0, "run-1")
    store.complete("acme", "crm_sync", "Contact", T0)
    store.record("acme", "crm_sync", ["Lead"], "budget", T0 + timedelta(days=1), T0, "run-2")
    store.record("acme", "crm_sync", ["User"], "budget", T0 + timedelta(days=1), T0, "run-2")
    [open_one] = store.open("acme")
    assert open_one.run_id == "run-2" and open_one.objects == ("Lead", "User")
