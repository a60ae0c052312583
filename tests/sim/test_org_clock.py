"""The org clock is the wall clock by default (`sim serve`), so clients that window by their own clock
see the org's writes; the fixed clock stays for tests and the demo."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import requests
from simple_salesforce import Salesforce

from crm_pipelines.sim.generate import generate_org
from crm_pipelines.sim.org_time import moved_to
from crm_pipelines.sim.server import run_simulator
from tests.sim.test_cli import _base_url, _serve

FIXED_START = pd.Timestamp("2026-06-01T12:00:00Z")


def _client(sim) -> Salesforce:
    session = requests.Session()
    session.trust_env = False  # a CA bundle from the environment would override `verify`
    session.verify = sim.ca_file  # simple-salesforce speaks https only
    token = session.post(f"{sim.base_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret"}).json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session)


def test_on_the_wall_clock_history_ends_now_and_a_write_is_stamped_in_real_time():
    before = pd.Timestamp.now(tz="UTC")
    with run_simulator(orgs=("acme",), clock="wall", tls=True) as sim:
        org = sim.org("acme")
        assert before - pd.Timedelta(seconds=1) <= org.clock.now() <= pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)
        contacts = org.table("Contact").frame()
        assert contacts["SystemModstamp"].max() < org.clock.now()
        assert contacts["CreatedDate"].min() > org.clock.now() - pd.Timedelta(days=5 * 365)

        # What simple-salesforce's users do: a window ending at their own now. On a clock months
        # behind, this was refused with INVALID_REPLICATION_DATE ("startDate cannot be in the future").
        sf = _client(sim)
        record_id = sf.Lead.create({"LastName": "Noether", "Company": "Erlangen"})["id"]
        sf.Lead.delete(sf.Lead.create({"LastName": "Gone", "Company": "Nowhere"})["id"])
        # The replication windows are whole minutes up to the org's current one: ask a minute later,
        # as a client polling every few minutes does.
        org.advance_clock(61)
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
        start = end - dt.timedelta(minutes=10)
        assert record_id in sf.Lead.updated(start, end)["ids"]
        assert len(sf.Lead.deleted(start, end)["deletedRecords"]) == 1
        stamped = pd.Timestamp(sf.Lead.get(record_id)["SystemModstamp"])
        assert abs(stamped - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(seconds=30)
        # an incremental read by the client's clock finds it
        since = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = sf.query_all(f"SELECT Id FROM Lead WHERE SystemModstamp >= {since}")["records"]
        assert record_id in {r["Id"] for r in found}


def test_the_fixed_clock_starts_where_it_always_did():
    with run_simulator(orgs=("acme",), clock="fixed") as sim:
        org = sim.org("acme")
        assert FIXED_START <= org.clock.now() < FIXED_START + pd.Timedelta(minutes=5)


def test_moving_an_org_in_time_keeps_every_records_age_and_every_date_a_date():
    fixed = generate_org("acme", "tiny", 1)
    now = pd.Timestamp("2027-01-15T08:30:00.123Z")
    moved = moved_to(fixed, now)
    assert moved.now == now
    for name, table in fixed.tables.items():
        for column, dtype in table.dtypes.items():
            if isinstance(dtype, pd.DatetimeTZDtype):
                age = fixed.now - table[column]
                assert (moved.now - moved.tables[name][column]).equals(age), (name, column)
            elif pd.api.types.is_datetime64_dtype(dtype):
                shift = (moved.tables[name][column] - table[column]).dropna()
                assert (shift == pd.Timedelta(days=(now - fixed.now).days)).all(), (name, column)
            else:
                assert moved.tables[name][column].equals(table[column]), (name, column)
    # the source is untouched
    assert generate_org("acme", "tiny", 1).tables["Contact"].equals(fixed.tables["Contact"])


def test_sim_serve_runs_on_the_wall_clock_unless_told_otherwise():
    for args, wall in (((), True), (("--clock", "fixed"), False)):
        process = _serve("--orgs", "acme", *args)
        try:
            _base_url(process)
            assert process.stdout is not None
            line = process.stdout.readline() + process.stdout.readline()
            clock_line = next(part for part in line.splitlines() if "org clock" in part)
            stamp = pd.Timestamp(clock_line.split("now ")[1])
            if wall:
                assert "org clock: wall" in clock_line
                assert abs(stamp - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(minutes=2)
            else:
                assert "org clock: fixed" in clock_line
                assert stamp < FIXED_START + pd.Timedelta(minutes=5)
        finally:
            process.kill()  # its shutdown is test_cli's subject; here only what it printed matters
            process.wait(timeout=30)
