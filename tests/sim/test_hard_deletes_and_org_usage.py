"""Hard deletes, the recycle bin, the delete log behind `/sobjects/{T}/deleted/`, and other
integrations' use of the org's daily quota, as Salesforce has them (E3, S1)."""

from __future__ import annotations

import pandas as pd


def _sf_time(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _deleted(api, start: pd.Timestamp, end: pd.Timestamp, sobject: str = "Lead"):
    return api.get(f"sobjects/{sobject}/deleted/", params={"start": start.isoformat(), "end": end.isoformat()})


def _live_lead(sim) -> str:
    return str(sim.org("acme").rows("Lead", include_deleted=False)["Id"].iloc[0])


def _ids(records: list[dict]) -> set[str]:
    return {r["Id"] for r in records}


def test_a_hard_delete_leaves_query_all_and_the_record_resource_but_stays_in_the_delete_log(api, sim, control):
    org = sim.org("acme")
    lead = _live_lead(sim)
    start = org.clock.now().floor("min")
    control.call("DELETE", f"/sobjects/Lead/{lead}", params={"hard": "true"})
    deleted_at = org.clock.now()
    control.call("POST", "/clock/advance", {"seconds": 120})

    assert lead not in _ids(api.query("SELECT Id FROM Lead", all_rows=True))
    assert api.get(f"sobjects/Lead/{lead}").status_code == 404
    assert lead not in {r["Id"] for r in control.call("GET", "/sobjects/Lead")}
    body = _deleted(api, start, org.clock.now()).json()
    [entry] = [d for d in body["deletedRecords"] if d["id"] == lead]
    assert pd.Timestamp(entry["deletedDate"]) <= deleted_at + pd.Timedelta(seconds=1)
    # Gone for good: it cannot be undeleted.
    reply = control.session.post(f"{control.base}/sobjects/Lead/{lead}/undelete")
    assert reply.status_code == 404


def test_a_rest_delete_goes_to_the_recycle_bin_until_it_is_purged(api, sim, control):
    org = sim.org("acme")
    lead = _live_lead(sim)
    start = org.clock.now().floor("min")
    assert api.delete(f"sobjects/Lead/{lead}").status_code == 204
    in_bin = [r for r in api.query("SELECT Id, IsDeleted FROM Lead", all_rows=True) if r["Id"] == lead]
    assert in_bin == [{"attributes": in_bin[0]["attributes"], "Id": lead, "IsDeleted": True}]
    deleted_date = _sf_time(org.record("Lead", lead)["SystemModstamp"])

    control.call("POST", f"/sobjects/Lead/{lead}/purge")
    control.call("POST", "/clock/advance", {"seconds": 120})
    assert lead not in _ids(api.query("SELECT Id FROM Lead", all_rows=True))
    body = _deleted(api, start, org.clock.now()).json()
    assert {"id": lead, "deletedDate": deleted_date} in body["deletedRecords"]


def test_emptying_the_recycle_bin_purges_every_deleted_record_of_the_object(api, sim, control):
    org = sim.org("acme")
    in_bin = set(org.rows("Contact").query("IsDeleted")["Id"])
    assert in_bin, "the generated org has deleted contacts"
    live = len(org.rows("Contact", include_deleted=False))
    purged = control.call("POST", "/recycle-bin/empty", {"sobject": "Contact"})
    assert purged == {"Contact": len(in_bin)}
    everything = api.query("SELECT Id, IsDeleted FROM Contact", all_rows=True)
    assert not in_bin & _ids(everything) and len(everything) == live


def test_a_purged_record_is_only_listed_if_it_was_deleted_in_the_window(api, sim, control):
    org = sim.org("acme")
    lead = _live_lead(sim)
    control.call("DELETE", f"/sobjects/Lead/{lead}", params={"hard": "true"})
    control.call("POST", "/clock/advance", {"seconds": 180})
    start = org.clock.now().floor("min")
    control.call("POST", "/clock/advance", {"seconds": 120})
    body = _deleted(api, start, org.clock.now()).json()
    assert lead not in {d["id"] for d in body["deletedRecords"]}


def test_the_delete_log_window_follows_the_org_clock(api, sim, control):
    """30 days back from the org's own now, not from when its data was generated."""
    org = sim.org("acme")
    start = org.clock.now().floor("min")
    assert _deleted(api, start - pd.Timedelta(days=29), start).status_code == 200
    control.call("POST", "/clock/advance", {"seconds": 31 * 86400})
    api.login()  # the token expired meanwhile
    now = org.clock.now()
    reply = _deleted(api, start, now)
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    body = _deleted(api, now - pd.Timedelta(days=29), now).json()
    assert pd.Timestamp(body["earliestDateAvailable"]) == (now - pd.Timedelta(days=30)).floor("min")


def test_other_integrations_use_of_the_org_shows_in_limits_and_every_header(api, sim, control):
    org = sim.org("acme")
    used = control.call("POST", "/api-usage/others", {"calls": 1234})
    assert used == {"used": 1234, "limit": 100_000}
    reply = api.get("limits")
    assert reply.headers["Sforce-Limit-Info"] == "api-usage=1235/100000"
    assert reply.json()["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - 1235}
    # Another integration cannot spend more than the org has.
    bad = control.session.post(f"{control.base}/api-usage/others", json={"calls": 100_000})
    assert bad.status_code == 400 and "limit" in bad.json()["error"]
    assert org.api_usage()["used"] == 1235
    # Its calls leave the rolling 24-hour window like anyone's.
    control.call("POST", "/clock/advance", {"seconds": 86400 + 60})
    assert org.api_usage()["used"] == 0
