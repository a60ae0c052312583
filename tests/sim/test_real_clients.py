"""simple-salesforce, unmodified but for where it connects, against the https simulator: a session
from the refresh-token grant (simple-salesforce 1.12 has no refresh-token login of its own, so the
token endpoint's answer is handed to it), REST query_all, Bulk 2.0 query and download, and the
version list; each compared with the simulator's own records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from crm_pipelines.sim.server import run_simulator

FIELDS = ("Id", "Email", "LastName", "IsDeleted")


@pytest.fixture(scope="module")
def tls_sim():
    with run_simulator(orgs=("acme", "globex"), scale="small", tls=True) as sim:
        yield sim


def _session(sim) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a CA bundle from the environment would override `verify`
    session.verify = sim.ca_file
    return session


@pytest.fixture
def sf(tls_sim) -> Salesforce:
    session = _session(tls_sim)
    listed = session.get(f"{tls_sim.base_url}/_sim/orgs").json()
    refresh = next(org["refreshToken"] for org in listed if org["name"] == "acme")
    token = session.post(f"{tls_sim.base_url}/services/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": "acme", "client_secret": "acme-secret",
        "refresh_token": refresh}).json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"],
                      session=session, version="63.0")


def _org_rows(sim, sobject: str, *, include_deleted: bool) -> dict[str, dict[str, str]]:
    frame = sim.org("acme").rows(sobject, include_deleted=include_deleted)
    return {row["Id"]: {"Email": row["Email"] if isinstance(row["Email"], str) else "",
                        "LastName": row["LastName"], "IsDeleted": "true" if row["IsDeleted"] else "false"}
            for row in frame[list(FIELDS)].to_dict("records")}


def _csv_rows(texts) -> dict[str, dict[str, str]]:
    rows = {}
    for text in texts:
        for row in csv.DictReader(io.StringIO(text)):
            rows[row.pop("Id")] = row
    return rows


def test_version_list(sf):
    versions = sf.session.get(f"{sf.base_url.split('/services')[0]}/services/data").json()
    assert versions[0]["version"] == "31.0" and versions[-1]["version"] == "63.0"


def test_rest_query_all_returns_exactly_the_orgs_records(sf, tls_sim):
    soql = f"SELECT {', '.join(FIELDS)} FROM Contact"
    live = sf.query_all(soql)["records"]
    every = sf.query_all(soql, include_deleted=True)["records"]
    assert {r["Id"] for r in live} == set(_org_rows(tls_sim, "Contact", include_deleted=False))
    assert {r["Id"] for r in every} == set(_org_rows(tls_sim, "Contact", include_deleted=True))


def test_bulk2_query_returns_exactly_the_orgs_records(sf, tls_sim):
    soql = f"SELECT {', '.join(FIELDS)} FROM Contact"
    pages = list(sf.bulk2.Contact.query(soql, max_records=1000, wait=0.05))
    assert len(pages) > 1
    assert _csv_rows(pages) == _org_rows(tls_sim, "Contact", include_deleted=False)


def test_bulk2_query_all_includes_deleted_records(sf, tls_sim):
    soql = f"SELECT {', '.join(FIELDS)} FROM Lead"
    rows = _csv_rows(sf.bulk2.Lead.query_all(soql, max_records=5000, wait=0.05))
    assert rows == _org_rows(tls_sim, "Lead", include_deleted=True)
    assert any(row["IsDeleted"] == "true" for row in rows.values())


def test_bulk2_download_writes_every_record_to_files(sf, tls_sim, tmp_path: Path):
    soql = f"SELECT {', '.join(FIELDS)} FROM Contact"
    results = sf.bulk2.Contact.download(soql, path=str(tmp_path), max_records=2000, wait=0.05)
    assert sum(r["number_of_records"] for r in results) == len(_org_rows(tls_sim, "Contact",
                                                                          include_deleted=False))
    texts = [Path(r["file"]).read_text(encoding="utf-8") for r in results]
    assert _csv_rows(texts) == _org_rows(tls_sim, "Contact", include_deleted=False)
