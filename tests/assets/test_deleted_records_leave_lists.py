"""Records deleted in the CRM leave the auto-save lists at the next rebuild, and come back once
undeleted (issue 14.5, L6 as amended): through the simulator's control API over HTTP, the sync and
the rebuild jobs, checked on the app's list tables themselves."""

import pandas as pd
import pytest
from dagster import DagsterInstance

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import write_app_tables
from crm_pipelines.store.auto_save_lists import read_changes, read_lists, record_override
from crm_pipelines.store.crm_records import read_records
from tests.assets.test_outbound_push import control
from tests.sim_tenants import db_url, register_sim_tenant, run_job

SEED = 3
DELETED = "removed: deleted in the CRM"


@pytest.fixture
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


def _sync_and_rebuild(db, sim, instance) -> None:
    sim.org("acme").advance_clock(3600)
    assert run_job(db, "crm_sync", "acme", instance).success
    assert run_job(db, "auto_save_rebuild", "acme", instance).success


def _holders(lists: pd.DataFrame, crm_id: str) -> set[str]:
    return set(lists.loc[lists["crm_id"] == crm_id, "user_id"])


def _warehouse_row(db, sobject: str, crm_id: str) -> pd.Series:
    return read_records(db, BY_NAME[sobject], "acme").set_index("id").loc[crm_id]


def test_deleted_records_leave_every_list_with_their_reason_and_an_undeleted_one_returns(db, sim, monkeypatch):
    from tests.cli_runner import invoke

    org = sim.org("acme")
    register_sim_tenant(db, sim, "acme")
    write_app_tables(db, "acme", app_data_for_org(org, seed=SEED))
    instance = DagsterInstance.ephemeral()
    assert run_job(db, "crm_sync", "acme", instance).success
    assert run_job(db, "auto_save_rebuild", "acme", instance).success
    lists = read_lists(db, "acme")

    # A user adds by hand an account the rules gave someone else.
    accounts = lists.loc[lists["list"] == "accounts"]
    user = str(accounts["user_id"].iloc[0])
    manual = next(a for a in accounts["crm_id"] if user not in _holders(lists, a))
    record_override(db, "acme", user, "accounts", "add", manual, org.clock.now().to_pydatetime())
    assert run_job(db, "auto_save_rebuild", "acme", instance).success
    lists = read_lists(db, "acme")
    assert lists.set_index(["user_id", "crm_id"]).loc[(user, manual), "source"] == "manual"

    # Two contacts on lists, not of that account: one to the recycle bin, one deleted for good.
    contacts = read_records(db, BY_NAME["Contact"], "acme").set_index("id")
    listed = [c for c in dict.fromkeys(lists.loc[lists["record_type"] == "Contact", "crm_id"])
              if str(contacts.loc[c, "account_id"]) != manual]
    binned, hard = listed[0], listed[1]
    held_before = {crm_id: _holders(lists, crm_id) for crm_id in (manual, binned, hard)}
    control(sim, "acme", "DELETE", f"/sobjects/Contact/{binned}")
    control(sim, "acme", "DELETE", f"/sobjects/Contact/{hard}", params={"hard": "true"})
    control(sim, "acme", "DELETE", f"/sobjects/Account/{manual}")
    control(sim, "acme", "POST", f"/sobjects/Account/{manual}/purge")
    _sync_and_rebuild(db, sim, instance)

    after = read_lists(db, "acme")
    for sobject, crm_id in (("Account", manual), ("Contact", binned), ("Contact", hard)):
        assert bool(_warehouse_row(db, sobject, crm_id)["is_deleted"]), crm_id
        assert _holders(after, crm_id) == set(), f"{sobject} {crm_id} deleted in the CRM is still on a list"
        removed = read_changes(db, "acme", crm_id=crm_id)
        removed = removed.loc[removed["change"] == "removed"]
        assert set(removed["user_id"]) == held_before[crm_id]
        assert set(removed["reason"]) == {DELETED}
    assert not after["is_deleted"].any()

    # The user sees why, from the command line.
    monkeypatch.setenv("CRM_PIPELINES_DB_URL", db_url(db))
    history = invoke("lists", "history", "--tenant", "acme", "--user", user, "--crm-id", manual)
    assert history.exit_code == 0, history.output
    assert "added: manual add" in history.output and DELETED in history.output
    why = invoke("lists", "explain", "--tenant", "acme", "--user", user, "--crm-id", binned)
    assert why.exit_code == 0 and "deleted in the CRM" in why.output

    # Restored from the recycle bin: live again in the warehouse, back on the same lists by the rules.
    control(sim, "acme", "POST", f"/sobjects/Contact/{binned}/undelete")
    _sync_and_rebuild(db, sim, instance)
    row = _warehouse_row(db, "Contact", binned)
    assert not bool(row["is_deleted"]) and pd.isna(row["deleted_at"])
    restored = read_lists(db, "acme")
    assert _holders(restored, binned) == held_before[binned]
    back = read_changes(db, "acme", crm_id=binned)
    assert list(back.loc[back["user_id"] == next(iter(held_before[binned])), "change"]) == ["added", "removed", "added"]
    assert _holders(restored, hard) == set() and _holders(restored, manual) == set()
