"""Outbound pushes against the simulator over real HTTP (issue 7): every kind arrives, each record
once, within the budget, failures recorded once, nothing sent when pushes are off."""

import pandas as pd
import pytest
import requests
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.io_manager import read_tenant_partition
from crm_pipelines.store.push_ledger import read_ledger
from crm_pipelines.store.tables import metadata
from tests.sim_tenants import metadata_by_asset, register_sim_tenant, run_job
from tests.store_copies import first_sync_copy

pytestmark = pytest.mark.slow

SEED = 3
OUTCOMES = "email_replied,call_connected"


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=SEED) as sim:
        yield sim


def seeded(db, sim, org: str = "acme", **settings: str) -> dict[str, pd.DataFrame]:
    register_sim_tenant(db, sim, org, **{"push.activity_touch_outcomes": OUTCOMES, **settings})
    app = app_data_for_org(sim.org(org), seed=SEED)
    write_app_tables(db, org, app)
    return app


def synced_acme(tmp_path_factory, sim, db) -> None:
    """`seeded` acme after its first sync, made once per worker and copied (tests/store_copies.py)."""
    def first_sync(store) -> None:
        seeded(store, sim)
        crm_sync(store, "acme", DagsterInstance.ephemeral())

    first_sync_copy(tmp_path_factory, f"outbound-acme-{SEED}", sim, db, first_sync)


def crm_sync(db, tenant: str, instance: DagsterInstance, **kw):
    result = run_job(db, "crm_sync", tenant, instance, **kw)
    assert result.success
    return result


def push(db, tenant: str, instance: DagsterInstance, **kw):
    return run_job(db, "outbound_push", tenant, instance, **kw)


def control(sim, org: str, method: str, path: str, **kw):
    with requests.Session() as http:
        http.trust_env = False  # loopback: no proxy
        response = http.request(method, f"{sim.base_url}/_sim/orgs/{org}{path}", **kw)
        response.raise_for_status()
        return response.json()


def by_external_id(sim, org: str, sobject: str) -> pd.DataFrame:
    rows = sim.org(org).rows(sobject, include_deleted=False)
    return rows.loc[rows["App_External_Id__c"].notna()].set_index("App_External_Id__c")


def app_table(db, tenant: str, name: str) -> pd.DataFrame:
    return read_app_table(db, tenant, name)


def crm_user_of(db, tenant: str) -> dict[str, str]:
    matched = read_tenant_partition(db, metadata.tables["matched_users"], tenant)
    return dict(zip(matched["user_id"], matched["crm_user_id"], strict=True))


def assert_each_external_id_created_once(sim, org: str, sobject: str) -> None:
    counts = control(sim, org, "GET", f"/external-ids/{sobject}")
    assert counts, f"nothing was written to {sobject}"
    created_twice = {k: v for k, v in counts.items() if v["creates"] != 1 or v.get("records", 1) != 1}
    assert not created_twice, f"{sobject} records created more than once: {list(created_twice.items())[:5]}"


def test_every_kind_of_push_arrives_with_the_right_fields_owner_and_relations(sqlite_db, sim):
    db = sqlite_db
    app = seeded(db, sim, **{"push.interest_threshold": "90"})
    instance = DagsterInstance.ephemeral()
    crm_sync(db, "acme", instance)
    # P6: an app edit newer than the CRM; P7: a new active campaign.
    prospects = app_table(db, "acme", "prospects")
    edited = prospects.loc[prospects["crm_id"].notna() & (prospects["crm_type"] == "Contact")].index[0]
    edited_id, edited_crm = prospects.loc[edited, "prospect_id"], prospects.loc[edited, "crm_id"]
    prospects.loc[edited, ["title", "updated_at"]] = ["Chief Pipeline Officer", pd.Timestamp.now(tz="UTC")]
    write_app_table(db, "acme", "prospects", prospects)
    campaigns = app_table(db, "acme", "app_campaigns")
    new_campaign = {"campaign_id": "cmp-spring", "crm_campaign_id": None, "name": "Spring launch", "type": "Webinar",
                    "status": "Planned", "is_active": True, "updated_at": pd.Timestamp.now(tz="UTC"),
                    "created_at": pd.Timestamp.now(tz="UTC")}
    write_app_table(db, "acme", "app_campaigns", pd.concat([campaigns, pd.DataFrame([new_campaign])], ignore_index=True))
    # P4d: a to-do assigning a linked prospect to a matched user other than its owner.
    assignee = next(u for u in crm_user_of(db, "acme") if u != prospects.loc[edited, "owner_user_id"])
    write_app_table(db, "acme", "todos", pd.DataFrame({
        "todo_id": ["todo-call"], "prospect_id": [edited_id], "assignee_user_id": [assignee],
        "created_at": [pd.Timestamp.now(tz="UTC")]}))
    crm_sync(db, "acme", instance)

    result = push(db, "acme", instance)
    assert result.success
    md = metadata_by_asset(result)["crm_push_results"]
    assert md["sent"] > 0 and md["failed"] == 0, md
    owners = crm_user_of(db, "acme")
    prospects = app_table(db, "acme", "prospects").set_index("prospect_id")

    # P1: every event of a linked prospect is one Task on its record, related to its opportunity.
    tasks = by_external_id(sim, "acme", "Task")
    events = app["activity_events"]
    assert events["user_id"].isin(list(owners)).any() and events["object_id"].notna().any()
    for event in events.itertuples():
        task = tasks.loc[f"event:{event.event_id}"]
        assert task["WhoId"] == prospects.loc[event.prospect_id, "crm_id"]
        if event.user_id in owners:  # an app user matching no CRM user leaves the Task to the API user
            assert task["OwnerId"] == owners[event.user_id]
        assert task["Status"] == "Completed"
        assert task["ActivityDate"].date() == event.occurred_at.date()
        if isinstance(event.object_id, str):
            assert task["WhatId"] == event.object_id
            assert task["Subject"].endswith(f": {event.object_name}")
    # P2: touches with a selected outcome, and only those.
    touches = app["cadence_touches"]
    selected = touches.loc[touches["outcome"].isin(OUTCOMES.split(","))]
    touch_tasks = tasks.loc[tasks.index.str.startswith("touch:")]
    assert sorted(touch_tasks.index) == sorted("touch:" + selected["touch_id"])
    for touch in selected.itertuples():
        assert touch_tasks.loc[f"touch:{touch.touch_id}", "WhoId"] == prospects.loc[touch.prospect_id, "crm_id"]

    # P3: new Leads for the complete prospects the CRM lacked, owned by the owner's CRM user; ids written back.
    leads = by_external_id(sim, "acme", "Lead")
    new_ones = app["prospects"].loc[app["prospects"]["prospect_id"].str.startswith("p-new-")]
    assert new_ones["owner_user_id"].isin(list(owners)).any()
    assert len(new_ones) and all(f"prospect:{p}" in leads.index for p in new_ones["prospect_id"])
    for prospect in new_ones.itertuples():
        lead = leads.loc[f"prospect:{prospect.prospect_id}"]
        assert (lead["LastName"], lead["Company"]) == (prospect.last_name, prospect.company)
        if prospect.owner_user_id in owners:
            assert lead["OwnerId"] == owners[prospect.owner_user_id]
        assert prospects.loc[prospect.prospect_id, ["crm_id", "crm_type"]].tolist() == [lead["Id"], "Lead"]
    incomplete = app["prospects"].loc[app["prospects"]["prospect_id"].str.startswith("p-incomplete-"), "prospect_id"]
    assert not any(f"prospect:{p}" in leads.index for p in incomplete)

    # P4: the push request is answered, the to-do's prospect is owned by its assignee's CRM user.
    request = app_table(db, "acme", "push_requests").iloc[0]
    assert request["status"] == "sent"
    todo = app_table(db, "acme", "todos").iloc[0]
    assert pd.notna(todo["pushed_at"])
    todo_prospect = prospects.loc[todo["prospect_id"]]
    crm_record = sim.org("acme").rows(todo_prospect["crm_type"]).set_index("Id").loc[todo_prospect["crm_id"]]
    assert crm_record["OwnerId"] == owners[todo["assignee_user_id"]]

    # P5: every matched record's lead score is the app's.
    for crm_type in ("Lead", "Contact"):
        crm = sim.org("acme").rows(crm_type).set_index("Id")
        linked = prospects.loc[(prospects["crm_type"] == crm_type) & prospects["lead_score"].notna()]
        assert len(linked)
        # A CRM record several duplicate prospects hold takes the most recently updated one's score.
        writers = linked.sort_values("updated_at", ascending=False).drop_duplicates("crm_id")
        assert (crm.loc[writers["crm_id"], "Lead_Score__c"].to_numpy() == writers["lead_score"].to_numpy()).all()

    # P6: the edited title.
    assert sim.org("acme").rows("Contact").set_index("Id").loc[edited_crm, "Title"] == "Chief Pipeline Officer"
    log = read_log(db, "acme", record=edited_id)
    assert ((log["direction"] == "app_to_crm") & (log["crm_field"] == "Title") & (log["new_value"] == "Chief Pipeline Officer")).any()

    # P7: the new campaign, its CRM id written back.
    campaign = by_external_id(sim, "acme", "Campaign").loc["campaign:cmp-spring"]
    assert (campaign["Name"], bool(campaign["IsActive"])) == ("Spring launch", True)
    campaigns = app_table(db, "acme", "app_campaigns").set_index("campaign_id")
    assert campaigns.loc["cmp-spring", "crm_campaign_id"] == campaign["Id"]

    # The ledger agrees with the CRM, and a second push sends nothing.
    ledger = read_ledger(db, "acme")
    assert set(ledger["state"]) == {"sent"}
    for sobject in ("Task", "Lead", "Campaign"):
        rows = ledger.loc[(ledger["sobject"] == sobject) & ledger["external_id"].isin(by_external_id(sim, "acme", sobject).index)]
        assert (rows["crm_id"].to_numpy() == by_external_id(sim, "acme", sobject).loc[rows["external_id"], "Id"].to_numpy()).all()
        assert_each_external_id_created_once(sim, "acme", sobject)
    writes_before = len(sim.org("acme").writes())
    again = push(db, "acme", instance)
    assert again.success
    assert metadata_by_asset(again)["crm_push_results"]["sent"] == 0
    assert len(sim.org("acme").writes()) == writes_before


def test_pushes_disabled_send_nothing_at_all(sqlite_db, sim):
    seeded(sqlite_db, sim, **{"push.enabled": "false"})
    instance = DagsterInstance.ephemeral()
    crm_sync(sqlite_db, "acme", instance)
    result = push(sqlite_db, "acme", instance)
    assert result.success
    assert metadata_by_asset(result)["crm_push_results"]["push"].startswith("off")
    assert sim.org("acme").writes() == []
    assert read_ledger(sqlite_db, "acme").empty
    assert app_table(sqlite_db, "acme", "push_requests").iloc[0]["status"] == "pending"


def test_events_of_a_prospect_without_crm_id_wait_and_go_out_once_it_has_one(sqlite_db, sim):
    db = sqlite_db
    app = seeded(db, sim)
    waiting = "p-incomplete-1"
    assert waiting in set(app["prospects"]["prospect_id"])
    events = app["activity_events"]
    extra = events.iloc[[0]].assign(event_id="ev-waiting", prospect_id=waiting)
    write_app_table(db, "acme", "activity_events", pd.concat([events, extra], ignore_index=True))
    instance = DagsterInstance.ephemeral()
    crm_sync(db, "acme", instance)

    first = push(db, "acme", instance)
    assert first.success
    assert metadata_by_asset(first)["crm_push_results"]["waiting_for_crm_id"] == 1
    assert "event:ev-waiting" not in by_external_id(sim, "acme", "Task").index
    assert "event:ev-waiting" not in set(read_ledger(db, "acme")["external_id"])

    # The prospect is completed in the app: F7 lets it go as a new Lead, and its event follows in the same push.
    prospects = app_table(db, "acme", "prospects")
    row = prospects["prospect_id"] == waiting
    prospects.loc[row, ["last_name", "company", "email", "updated_at"]] = [
        "Waits", "Patience Ltd", "waits@patience.test", pd.Timestamp.now(tz="UTC")]
    write_app_table(db, "acme", "prospects", prospects)
    crm_sync(db, "acme", instance)
    second = push(db, "acme", instance)
    assert second.success
    lead = by_external_id(sim, "acme", "Lead").loc[f"prospect:{waiting}"]
    assert by_external_id(sim, "acme", "Task").loc["event:ev-waiting", "WhoId"] == lead["Id"]


def test_a_permanent_error_is_in_the_ledger_once_not_retried_and_goes_out_once_fixed(sqlite_db, sim):
    db = sqlite_db
    seeded(db, sim)
    control(sim, "acme", "POST", "/validation-rules", json={
        "sobject": "Lead", "field": "LastName", "test": "equals", "value": "Refused",
        "message": "Leads named Refused are not allowed"})
    prospects = app_table(db, "acme", "prospects")
    target = "p-new-1"
    prospects.loc[prospects["prospect_id"] == target, "last_name"] = "Refused"
    write_app_table(db, "acme", "prospects", prospects)
    instance = DagsterInstance.ephemeral()
    crm_sync(db, "acme", instance)

    assert push(db, "acme", instance).success
    failed = read_ledger(db, "acme", state="failed")
    assert failed[["sobject", "external_id", "attempts", "error_code", "error_message"]].values.tolist() == [
        ["Lead", f"prospect:{target}", 1, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Leads named Refused are not allowed"]]

    upserts_before = control(sim, "acme", "GET", "/calls")["byEndpoint"].get("composite.upsert", 0)
    again = push(db, "acme", instance)
    assert again.success
    assert metadata_by_asset(again)["new_crm_leads"]["failed_unchanged"] == 1
    assert control(sim, "acme", "GET", "/calls")["byEndpoint"].get("composite.upsert", 0) == upserts_before
    assert read_ledger(db, "acme", state="failed")["attempts"].tolist() == [1]

    prospects = app_table(db, "acme", "prospects")
    row = prospects["prospect_id"] == target
    prospects.loc[row, ["last_name", "updated_at"]] = ["Accepted", pd.Timestamp.now(tz="UTC")]
    write_app_table(db, "acme", "prospects", prospects)
    crm_sync(db, "acme", instance)
    assert push(db, "acme", instance).success
    assert read_ledger(db, "acme", state="failed").empty
    lead = by_external_id(sim, "acme", "Lead").loc[f"prospect:{target}"]
    assert lead["LastName"] == "Accepted"
    assert app_table(db, "acme", "prospects").set_index("prospect_id").loc[target, "crm_id"] == lead["Id"]


def test_two_tenants_push_each_only_to_its_own_org_and_ledger(sqlite_db, sim, tmp_path_factory):
    synced_acme(tmp_path_factory, sim, sqlite_db)
    seeded(sqlite_db, sim, "globex")
    instance = DagsterInstance.ephemeral()
    crm_sync(sqlite_db, "globex", instance)
    assert push(sqlite_db, "acme", instance).success
    assert sim.org("globex").writes() == []
    assert read_ledger(sqlite_db, "globex").empty
    assert push(sqlite_db, "globex", instance).success
    acme, globex = read_ledger(sqlite_db, "acme"), read_ledger(sqlite_db, "globex")
    assert set(acme["crm_id"]).isdisjoint(globex["crm_id"])
    assert set(globex["crm_id"]) <= set(sim.org("globex").rows("Task")["Id"]) | set(sim.org("globex").rows("Lead")["Id"]) \
        | set(sim.org("globex").rows("Contact")["Id"]) | set(sim.org("globex").rows("Campaign")["Id"])


def test_a_push_requested_from_the_cli_goes_out_and_the_ledger_reads_back_from_the_cli(sqlite_db, sim, tmp_path_factory):
    from tests.cli_runner import invoke
    from tests.sim_tenants import db_url

    db = sqlite_db
    synced_acme(tmp_path_factory, sim, db)
    instance = DagsterInstance.ephemeral()
    assert push(db, "acme", instance).success
    prospects = app_table(db, "acme", "prospects")
    linked = prospects.loc[prospects["crm_id"].notna() & (prospects["crm_type"] == "Contact")].iloc[-1]
    env = {"CRM_PIPELINES_DB_URL": db_url(db)}
    asked = invoke("push", "request", "--tenant", "acme", "--prospect", linked["prospect_id"], env=env)
    assert asked.exit_code == 0, asked.output
    writes = len(sim.org("acme").writes("Contact"))

    result = push(db, "acme", instance)
    assert result.success
    # Forced: the push mapped fields go though the CRM had them from the first push already; the
    # two-way ones go only where the app changed them since the base (F3), here none.
    [write] = [w for w in sim.org("acme").writes("Contact")[writes:] if w["id"] == linked["crm_id"]]
    assert write["fields"] == {"Lead_Score__c": linked["lead_score"]}
    statuses = app_table(db, "acme", "push_requests").set_index("prospect_id")["status"]
    assert statuses.loc[linked["prospect_id"]] == "sent"

    status = invoke("push", "status", "--tenant", "acme", "--state", "sent", "--limit", "500", env=env)
    assert status.exit_code == 0
    assert f"prospect:{linked['prospect_id']}" in status.output and linked["crm_id"] in status.output
    assert "acme-secret" not in status.output


def test_the_ledger_checks_pass_after_a_push_and_catch_a_crm_id_another_tenant_holds(sqlite_db, sim, tmp_path_factory):
    from sqlalchemy import text

    synced_acme(tmp_path_factory, sim, sqlite_db)
    seeded(sqlite_db, sim, "globex")
    instance = DagsterInstance.ephemeral()
    result = push(sqlite_db, "acme", instance)
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {("crm_push_results", "no_rows_of_another_tenant"): True,
                      ("crm_push_results", "nothing_left_pending"): True,
                      ("crm_sync_ready_for_push", "sync_complete"): True}
    with sqlite_db.transaction() as conn:
        conn.execute(text(
            "INSERT INTO crm_push_results (tenant_id, sobject, external_id, kind, app_object, app_id, crm_id, state, attempts) "
            "SELECT 'globex', sobject, external_id, kind, app_object, app_id, crm_id, state, attempts "
            "FROM crm_push_results WHERE tenant_id = 'acme' AND sobject = 'Task' LIMIT 1"))
    again = push(sqlite_db, "acme", instance)
    assert not again.success  # the blocking check failed
    failed = {e.check_name for e in again.get_asset_check_evaluations() if not e.passed}
    assert failed == {"no_rows_of_another_tenant"}


def test_a_disconnected_tenant_writes_nothing_and_its_queued_pushes_go_out_after_the_reconnect(sqlite_db, sim, tmp_path_factory):
    from crm_pipelines.store.tenants import TenantRegistry

    synced_acme(tmp_path_factory, sim, sqlite_db)
    instance = DagsterInstance.ephemeral()
    TenantRegistry(sqlite_db).disconnect("acme")
    refused = push(sqlite_db, "acme", instance)
    assert not refused.success
    failure = next(e for e in refused.all_events if e.is_step_failure)
    assert "disconnected" in str(failure.event_specific_data.error.message)
    assert sim.org("acme").writes() == []
    assert read_ledger(sqlite_db, "acme").empty

    TenantRegistry(sqlite_db).reconnect("acme")
    assert push(sqlite_db, "acme", instance).success
    assert len(by_external_id(sim, "acme", "Task")) > 0
    assert set(read_ledger(sqlite_db, "acme")["state"]) == {"sent"}
