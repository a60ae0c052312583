"""API versions v31.0 through v63.0: listed by /services/data as Salesforce lists them, and routed."""

from __future__ import annotations

import requests


def test_version_list_runs_from_31_to_63_with_release_labels(sim):
    versions = requests.get(f"{sim.base_url}/services/data").json()
    assert [v["version"] for v in versions] == [f"{n}.0" for n in range(31, 64)]
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert versions[-1] == {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"}
    labels = {v["version"]: v["label"] for v in versions}
    assert (labels["47.0"], labels["61.0"], labels["62.0"]) == ("Winter '20", "Summer '24", "Winter '25")


def test_oldest_and_newest_versions_are_routed(api):
    for version in ("31.0", "63.0"):
        reply = api.get(f"/services/data/v{version}/query", params={"q": "SELECT Id FROM Account"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["records"][0]["attributes"]["url"].startswith(f"/services/data/v{version}/")
        assert api.get(f"/services/data/v{version}/").json()["query"] == f"/services/data/v{version}/query"


def test_versions_outside_the_range_are_not_found(api):
    for version in ("30.0", "64.0"):
        reply = api.get(f"/services/data/v{version}/limits")
        assert reply.status_code == 404
        assert reply.json()[0]["errorCode"] == "NOT_FOUND"
