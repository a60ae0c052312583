"""The auto-save list assets and their daily schedule, on a tenant synced from the simulator (issue 6)."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, SkipReason, build_schedule_context
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.automation.auto_save_rebuild import daily_list_rebuild
from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.auto_save_lists import read_changes, read_lists, read_saved_items
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url, register_sim_tenant
from tests.store_copies import first_sync_copy

pytestmark = pytest.mark.slow


@pytest.fixture
def synced(db, tmp_path_factory):
    """Two seeded tenants after their first sync (made once per worker and copied,
    tests/store_copies.py), the simulator, a Dagster instance and the definitions."""
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=9) as sim:
        def first_syncs(store) -> None:
            for org in ("acme", "globex"):
                register_sim_tenant(store, sim, org)
                write_app_tables(store, org, app_data_for_org(sim.org(org), seed=9))
            first = DagsterInstance.ephemeral()
            first.add_dynamic_partitions("tenants", ["acme", "globex"])
            for org in ("acme", "globex"):
                assert build_definitions(db_url(store)).resolve_job_def("crm_sync").execute_in_process(
                    instance=first, partition_key=org).success

        first_sync_copy(tmp_path_factory, "auto-save-assets-9", sim, db, first_syncs)
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme", "globex"])
        yield sim, instance, build_definitions(db_url(db))


def _rebuild(defs, instance, tenant):
    return defs.resolve_job_def("auto_save_rebuild").execute_in_process(instance=instance, partition_key=tenant)


def test_the_rebuild_fills_every_matched_users_lists_and_records_why(db, synced):
    sim, instance, defs = synced
    writes_before = len(sim.org("acme").writes())
    result = _rebuild(defs, instance, "acme")
    assert result.success
    lists = read_lists(db, "acme")
    assert len(lists) > 0 and set(lists["list"]) == {"accounts", "leads_and_contacts"}
    assert (lists.groupby(["user_id", "list"]).size() <= 1000).all()
    assert set(lists.loc[lists["list"] == "accounts", "record_type"]) == {"Account"}
    assert lists["rules"].map(len).min() >= 1
    changes = read_changes(db, "acme")
    assert len(changes) == len(lists) and set(changes["change"]) == {"added"}
    # L11: building lists never writes to the CRM.
    assert len(sim.org("acme").writes()) == writes_before
    # Each tenant's lists are its own.
    assert read_lists(db, "globex").empty
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"auto_save_account_lists", "auto_save_lead_lists"}
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {("auto_save_account_lists", "at_most_1000_items_per_user"): True,
                      ("auto_save_lead_lists", "at_most_1000_items_per_user"): True}


def test_a_second_rebuild_with_nothing_changed_changes_nothing(db, synced):
    _, instance, defs = synced
    _rebuild(defs, instance, "acme")
    first = read_lists(db, "acme")
    _rebuild(defs, instance, "acme")
    second = read_lists(db, "acme")
    assert first.sort_values(["user_id", "crm_id"]).reset_index(drop=True).equals(
        second.sort_values(["user_id", "crm_id"]).reset_index(drop=True))
    assert len(read_changes(db, "acme")) == len(first)  # the second rebuild recorded no change


def test_a_disconnected_tenants_lists_stay_as_they_were(db, synced):
    _, instance, defs = synced
    _rebuild(defs, instance, "acme")
    before = read_lists(db, "acme")
    TenantRegistry(db).disconnect("acme")
    assert _rebuild(defs, instance, "acme").success
    assert read_lists(db, "acme").equals(before)


def test_the_daily_schedule_launches_each_connected_tenant_once_a_day_at_its_time(db, tmp_path):
    for tenant, at in (("acme", "05:00"), ("globex", "18:30"), ("hooli", "23:52")):
        TenantRegistry(db).add(_tenant(tenant).with_settings({"auto_save.daily_rebuild_at": at}))
    TenantRegistry(db).add(_tenant("initech"))
    TenantRegistry(db).disconnect("initech")
    resources = {"database": DatabaseResource(database_url=db_url(db))}
    instance = DagsterInstance.local_temp(str(tmp_path))  # a schedule's context wants a persistent one

    def tick(moment: datetime):
        """One tick as the daemon runs it: what it requests is launched (a run with the request's tags)."""
        with build_schedule_context(instance=instance, scheduled_execution_time=moment, resources=resources) as context:
            result = daily_list_rebuild(context)
        requests = [] if isinstance(result, SkipReason) else list(result)
        for request in requests:
            instance.add_run(DagsterRun(job_name="auto_save_rebuild", run_id=make_new_run_id(), tags=request.tags))
        return sorted((r.partition_key, r.run_key) for r in requests)

    assert tick(datetime(2026, 3, 2, 4, 45, tzinfo=UTC)) == []
    assert tick(datetime(2026, 3, 2, 5, 0, tzinfo=UTC)) == [("acme", "rebuild:acme:2026-03-02T05:00Z")]
    # Later ticks that day launch nothing for acme, whatever the cron: its day's slot has a run.
    assert tick(datetime(2026, 3, 2, 5, 15, tzinfo=UTC)) == []
    # Caught up after a pause (the daemon down from 18:00 to 19:00): globex's day launches once.
    assert tick(datetime(2026, 3, 2, 19, 0, tzinfo=UTC)) == [("globex", "rebuild:globex:2026-03-02T18:30Z")]
    assert tick(datetime(2026, 3, 2, 19, 1, tzinfo=UTC)) == []
    # Any minute of the day, also after 23:45.
    assert tick(datetime(2026, 3, 2, 23, 52, tzinfo=UTC)) == [("hooli", "rebuild:hooli:2026-03-02T23:52Z")]
    assert tick(datetime(2026, 3, 2, 23, 59, tzinfo=UTC)) == []
    # A rebuild launched for the slot by someone else (another daemon, an operator) counts too.
    instance.add_run(DagsterRun(job_name="auto_save_rebuild", run_id=make_new_run_id(),
                                tags={"crm_pipelines/slot": "rebuild:acme:2026-03-03T05:00Z"}))
    next_day = tick(datetime(2026, 3, 3, 23, 59, tzinfo=UTC))
    assert next_day == [("globex", "rebuild:globex:2026-03-03T18:30Z"), ("hooli", "rebuild:hooli:2026-03-03T23:52Z")]
    assert "initech" not in {tenant for tenant, _ in next_day}
    counts = Counter(run.tags["crm_pipelines/slot"] for run in instance.get_runs())
    assert set(counts.values()) == {1}


def _tenant(tenant_id):
    from crm_pipelines.settings import Tenant, validated

    return validated(Tenant, {"id": tenant_id, "name": tenant_id, "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})


def test_lists_cli_show_explain_remove_and_add(db, synced, monkeypatch):
    from tests.cli_runner import invoke

    _, instance, defs = synced
    _rebuild(defs, instance, "acme")
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", db_url(db))
    lists = read_lists(db, "acme")
    account = lists[lists["list"] == "accounts"].iloc[0]
    user, account_id = account["user_id"], account["crm_id"]

    shown = invoke("lists", "show", "--tenant", "acme", "--user", user)
    assert shown.exit_code == 0 and account_id in shown.output
    why = invoke("lists", "explain", "--tenant", "acme", "--user", user, "--crm-id", account_id)
    assert why.exit_code == 0 and account_id in why.output

    assert invoke("lists", "remove", "--tenant", "acme", "--user", user, "--crm-id", account_id).exit_code == 0
    _rebuild(defs, instance, "acme")
    _rebuild(defs, instance, "acme")
    after = read_lists(db, "acme")
    assert not ((after["user_id"] == user) & (after["crm_id"] == account_id)).any()  # gone, and not back
    removed = read_changes(db, "acme", user_id=user, crm_id=account_id)
    assert list(removed["change"]) == ["added", "removed"]

    elsewhere = after[(after["list"] == "accounts") & (after["user_id"] != user)]["crm_id"]
    missing = next(a for a in elsewhere if not ((after["user_id"] == user) & (after["crm_id"] == a)).any())
    assert invoke("lists", "add", "--tenant", "acme", "--user", user, "--crm-id", missing).exit_code == 0
    _rebuild(defs, instance, "acme")
    added = read_lists(db, "acme")
    row = added[(added["user_id"] == user) & (added["crm_id"] == missing)]
    assert len(row) == 1 and row.iloc[0]["source"] == "manual"

    refused = invoke("lists", "add", "--tenant", "acme", "--user", user, "--crm-id", "001000000000000AAA")
    assert refused.exit_code == 2 and "001000000000000AAA" in refused.stderr


def test_each_users_saved_items_are_stored_with_the_lists_and_shown(db, synced, monkeypatch):
    from tests.cli_runner import invoke

    _, instance, defs = synced
    _rebuild(defs, instance, "acme")
    lists = read_lists(db, "acme")
    account = lists[lists["list"] == "accounts"].iloc[0]
    user, account_id = account["user_id"], account["crm_id"]
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", db_url(db))
    assert invoke("lists", "remove", "--tenant", "acme", "--user", user, "--crm-id", account_id).exit_code == 0
    other = lists[(lists["list"] == "accounts") & (lists["user_id"] != user)]["crm_id"]
    extra = next(a for a in other if not ((lists["user_id"] == user) & (lists["crm_id"] == a)).any())
    assert invoke("lists", "add", "--tenant", "acme", "--user", user, "--crm-id", extra).exit_code == 0
    _rebuild(defs, instance, "acme")

    # The totals agree with the lists in the app tables: every item on a list, auto or manual,
    # except those flagged deleted in the CRM.
    lists = read_lists(db, "acme")
    live = lists[~lists["is_deleted"]]
    totals = read_saved_items(db, "acme").set_index("user_id")
    # The app reads them as one of its own tables.
    assert read_app_table(db, "acme", "saved_item_totals").set_index("user_id")["saved_items"].equals(totals["saved_items"])
    expected = live.groupby("user_id").size()
    assert totals["saved_items"].loc[expected.index].tolist() == expected.tolist()
    assert (totals["saved_items"] == totals["auto_items"] + totals["manual_items"]).all()
    assert (totals["saved_items"] == totals["account_items"] + totals["lead_and_contact_items"]).all()
    mine = totals.loc[user]
    assert mine["manual_items"] == 1
    assert mine["account_items"] == ((live["user_id"] == user) & (live["list"] == "accounts")).sum()
    assert read_saved_items(db, "globex").empty  # each tenant's totals are its own

    shown = invoke("lists", "show", "--tenant", "acme", "--user", user)
    assert shown.exit_code == 0
    assert (f"saved items: {mine['saved_items']} (accounts {mine['account_items']}, leads and contacts "
            f"{mine['lead_and_contact_items']}; auto-saved {mine['auto_items']}, added by hand 1;") in shown.output
