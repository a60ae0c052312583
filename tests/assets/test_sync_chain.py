"""A deferred sync feeds nothing downstream (S1, O4, F7): while a tenant's extraction is incomplete,
matching, the field sync, the workflows and every push wait; the backoff sensor resumes the whole
deferred chain; a sync counts as done only when its whole chain completed."""

import time

import pytest
import requests
from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance, SkipReason, build_sensor_context

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.backoff import api_limit_backoff
from crm_pipelines.automation.crm_sync import crm_sync_due
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.crm_objects import CRM_OBJECTS
from crm_pipelines.core.emails import normalize_email
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.database import open_database
from crm_pipelines.store.deferrals import DeferralStore
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tables import metadata
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url, metadata_by_asset, register_sim_tenant, run_job

pytestmark = pytest.mark.slow

SEED = 3
DAY = 24 * 3600 + 120
DOWNSTREAM_GROUPS = ("matching", "field_sync", "workflows")


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


def seeded(db, sim, **settings: str) -> None:
    register_sim_tenant(db, sim, "acme", **{"sync.frequency_minutes": "15", **settings})
    write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))


def matches(db) -> set[tuple[str, str]]:
    matched = read_tenant_partition(db, metadata.tables["matched_prospects"], "acme")
    return set(zip(matched["prospect_id"], matched["crm_id"], strict=True))


_UNLIMITED: dict[int, tuple[set[tuple[str, str]], int]] = {}


def unlimited_sync(sim, tmp_path) -> tuple[set[tuple[str, str]], int]:
    """What an unlimited budget gives on the same org and app data, in a database of its own: the
    matched prospects, and the API calls the whole sync took. Every test's simulator is generated
    alike (the same org and seed, on the fixed clock), so it is found once per worker process."""
    if SEED not in _UNLIMITED:
        _UNLIMITED[SEED] = _unlimited_sync(sim, tmp_path)
    return _UNLIMITED[SEED]


def _unlimited_sync(sim, tmp_path) -> tuple[set[tuple[str, str]], int]:
    reference = open_database(f"sqlite:///{tmp_path / 'unlimited.db'}")
    seeded(reference, sim)
    result = run_job(reference, "crm_sync", "acme")
    assert result.success
    calls = sum(int(md.get("api_calls_used", 0)) for md in metadata_by_asset(result).values())
    return matches(reference), calls


def downstream_keys() -> set[str]:
    defs = build_definitions("sqlite://")
    return {key.to_user_string() for a in defs.assets if hasattr(a, "group_names_by_key")
            for key, group in a.group_names_by_key.items() if group in DOWNSTREAM_GROUPS}


def backoff_requests(instance, db, offset_seconds: float):
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)})
    result = api_limit_backoff(context)
    return [] if isinstance(result, SkipReason) else list(result)


def due_requests(instance, db, offset_seconds: float):
    context = build_sensor_context(instance=instance, resources={
        "database": DatabaseResource(database_url=db_url(db)), "clock": ClockResource(offset_seconds=offset_seconds)})
    result = crm_sync_due(context)
    return [] if isinstance(result, SkipReason) else list(result)


def run_request(instance, db, request, offset_seconds: float):
    defs = build_definitions(db_url(db), clock_offset_seconds=offset_seconds)
    job = defs.resolve_job_def(request.job_name)
    if request.asset_selection:
        job = job.get_subset(asset_selection=set(request.asset_selection),
                             asset_check_selection=set(request.asset_check_keys or ()))
    return job.execute_in_process(instance=instance, partition_key=request.partition_key, raise_on_error=False,
                                  tags={**request.tags, "dagster/run_key": request.run_key})


def materialized(instance, keys) -> set[str]:
    return {key for key in keys if instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=["acme"]), limit=1).records}


def crm_emails(sim) -> set[str]:
    emails = set()
    for sobject in ("Lead", "Contact"):
        rows = sim.org("acme").rows(sobject, include_deleted=False)
        emails |= {normalize_email(e) for e in rows["Email"].dropna()}
    return emails - {None, ""}


def writes(sim, sobject: str | None = None) -> list[dict]:
    """What the CRM was written, from the simulator's control API."""
    with requests.Session() as http:
        http.trust_env = False  # loopback: no proxy
        response = http.get(f"{sim.base_url}/_sim/orgs/acme/writes", params={"sobject": sobject} if sobject else {})
        response.raise_for_status()
        return response.json()


def test_a_deferred_extraction_feeds_nothing_downstream_and_the_sensor_resumes_the_whole_chain(db, sim, tmp_path):
    expected, full_sync_calls = unlimited_sync(sim, tmp_path)
    assert expected, "the seeded app data must have prospects to match"
    seeded(db, sim, **{"api_budget.daily_limit": str(full_sync_calls // 2)})
    emails_before = crm_emails(sim)
    instance = DagsterInstance.ephemeral()

    first = run_job(db, "crm_sync", "acme", instance)
    assert first.success, "running out of budget is not a failure"
    [deferral] = DeferralStore(db).open("acme", job="crm_sync")
    downstream = downstream_keys()
    assert materialized(instance, downstream) == set(), "nothing downstream runs on an incomplete extraction"
    skipped = {e.step_key for e in first.all_events if e.event_type == DagsterEventType.STEP_SKIPPED}
    assert downstream <= skipped
    # The reason, in the run's log and as the gate's check in the UI.
    [evaluation] = [e.event_specific_data for e in first.all_events
                    if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
                    and e.event_specific_data.check_name == "extraction_complete"]
    assert not evaluation.passed
    reason = evaluation.metadata["reason"].value
    assert all(o in reason for o in deferral.objects) and "deferred" in reason
    logs = [e.user_message for e in instance.all_logs(first.run_id)]
    assert any("incomplete" in m and deferral.objects[0] in m for m in logs)

    # A push now sends nothing at all (no new Lead that would duplicate an unread one) and says why.
    pushed = run_job(db, "outbound_push", "acme", instance)
    assert pushed.success
    assert writes(sim) == []
    push_logs = [e.user_message for e in instance.all_logs(pushed.run_id)]
    assert any("nothing is pushed" in m for m in push_logs)

    # The sensor resumes the deferred objects (not the finished ones) and everything downstream.
    offset, rounds = DAY, 0
    while DeferralStore(db).open("acme", job="crm_sync"):
        rounds += 1
        assert rounds < 6, "the resumed syncs must make progress"
        [request] = backoff_requests(instance, db, offset)
        selected = {k.to_user_string() for k in request.asset_selection}
        still = DeferralStore(db).open("acme", job="crm_sync")[0].objects
        extraction = {o.asset for o in CRM_OBJECTS}
        assert selected & extraction == {o.asset for o in CRM_OBJECTS if o.name in still}
        assert downstream <= selected
        resumed = run_request(instance, db, request, offset)
        assert resumed.success
        if not DeferralStore(db).open("acme", job="crm_sync"):
            # The run that completes the chain: its blocking checks gate it as they gate a whole sync.
            evaluated = {(e.asset_key.to_user_string(), e.check_name) for e in resumed.get_asset_check_evaluations()}
            assert {("matched_prospects", "no_rows_of_another_tenant"),
                    ("matched_accounts", "no_rows_of_another_tenant")} <= evaluated
        offset += DAY
    assert materialized(instance, downstream) == downstream
    assert matches(db) == expected

    # Once the chain completed, the push goes out, and no Lead it creates duplicates a CRM Lead or Contact.
    # (The push first reads Leads, Contacts and Campaigns again, which half a sync a day cannot also
    # afford in the window the sync finished in: the budget grows for it.)
    TenantRegistry(db).set("acme", {"api_budget.daily_limit": str(full_sync_calls * 4)})
    assert run_job(db, "outbound_push", "acme", instance, clock_offset_seconds=offset).success
    assert writes(sim), "the push goes out once the chain completed"
    new_emails = [normalize_email(e["fields"].get("Email")) for e in writes(sim, "Lead") if e["operation"] == "create"]
    assert not [e for e in new_emails if e in emails_before], "a pushed Lead duplicates an existing Lead or Contact"


def test_only_a_completed_chain_counts_as_a_done_sync(db, sim, tmp_path):
    _, full_sync_calls = unlimited_sync(sim, tmp_path)
    seeded(db, sim, **{"api_budget.daily_limit": str(full_sync_calls // 2)})
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    assert DeferralStore(db).open("acme", job="crm_sync")
    assert due_requests(instance, db, DAY) == [], "deferred work waits for the backoff sensor"

    # The extraction alone completes (a run of the deferred extraction assets only, with room in
    # the budget now): the chain did not run, so the sync is not done and is due at once.
    TenantRegistry(db).set("acme", {"api_budget.daily_limit": str(full_sync_calls * 4)})
    [deferral] = DeferralStore(db).open("acme", job="crm_sync")
    deferred = {AssetKey(o.asset) for o in CRM_OBJECTS if o.name in deferral.objects}
    extraction = build_definitions(db_url(db), clock_offset_seconds=DAY).resolve_job_def("crm_sync")
    assert extraction.get_subset(asset_selection=deferred).execute_in_process(
        instance=instance, partition_key="acme", raise_on_error=False).success
    assert DeferralStore(db).open("acme") == []
    # The deferred run took this frequency slot (looked at from the moment it was created, so a slot
    # that turned over while the runs took their time changes nothing). The next slot launches the
    # sync, minutes after a run of the job succeeded: that run is still not a done sync.
    taken_at = instance.get_run_records(limit=1)[0].create_timestamp.timestamp()
    assert due_requests(instance, db, taken_at - time.time()) == []
    frequency = TenantRegistry(db).get("acme").settings.sync.frequency_minutes * 60
    [due] = due_requests(instance, db, frequency - time.time() % frequency + 5)
    assert due.partition_key == "acme"

    # The whole chain completes: done, and due again only after the tenant's frequency.
    assert run_job(db, "crm_sync", "acme", instance, clock_offset_seconds=DAY).success
    assert DeferralStore(db).open("acme") == []
    assert due_requests(instance, db, DAY) == []
    assert [r.partition_key for r in due_requests(instance, db, DAY + 16 * 60)] == ["acme"]


def test_every_asset_downstream_of_the_extraction_waits_for_the_gate():
    graph = build_definitions("sqlite://").resolve_asset_graph()
    gate = AssetKey("crm_extraction_complete")

    def ancestors(key: AssetKey) -> set[AssetKey]:
        parents = set(graph.get(key).parent_keys)
        return parents.union(*(ancestors(p) for p in parents)) if parents else set()

    chain = [key for key in graph.get_all_asset_keys() if graph.get(key).group_name in DOWNSTREAM_GROUPS]
    assert chain
    assert [key.to_user_string() for key in chain if gate not in ancestors(key)] == []
