"""Reading an Insightly org through the CRM port: every record once, in the pipeline's names and
in cursor order; changes since a time; Ids for deletions; describe; what Insightly lacks."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from crm_pipelines.core.crm_objects import BY_NAME, CURSOR_FIELD
from crm_pipelines.core.extraction import convert_page
from crm_pipelines.crm.errors import DeleteLogTooOld
from crm_pipelines.crm.port import OrgUsage
from crm_pipelines.sim.simulator import Simulator
from tests.crm.insightly.conftest import ORG, adapter, calls_to_read, number, to_the_second


def every_record(crm, object_name: str, extra=(), since=None) -> list[dict]:
    return [r for page in crm.read_changed(BY_NAME[object_name], list(extra), since) for r in page.records]


def test_a_full_read_pages_500_a_call_and_gives_each_contact_once_with_where_it_stands(sim: Simulator) -> None:
    crm = adapter(sim)
    live = sim.org(ORG).rows("Contact", include_deleted=False)
    assert len(live) > 500
    pages = list(crm.read_changed(BY_NAME["Contact"], [], None))
    records = [r for page in pages for r in page.records]
    assert crm.calls_sent == calls_to_read(len(live))
    assert sorted(r["Id"] for r in records) == sorted(number(i) for i in live["Id"])
    assert len(records) == len({r["Id"] for r in records})
    # Id order, not cursor order: every page but the last says where the read stands after it.
    assert not any(p.ordered for p in pages) and pages[-1].done and pages[-1].resume_from is None
    assert all(p.resume_from is not None for p in pages[:-1])
    assert len({p.read_started_at for p in pages}) == 1


def test_a_read_goes_on_from_where_a_page_left_it_and_gives_the_rest_once(sim: Simulator) -> None:
    whole = [r["Id"] for page in adapter(sim).read_changed(BY_NAME["Contact"], [], None) for r in page.records]
    first_two = list(zip(range(2), adapter(sim).read_changed(BY_NAME["Contact"], [], None)))
    point = first_two[-1][1].resume_from
    resumed = adapter(sim)
    rest = [r["Id"] for page in resumed.read_changed(BY_NAME["Contact"], [], None, resume_from=point)
            for r in page.records]
    before = [r["Id"] for _, page in first_two for r in page.records]
    assert before + rest == whole
    assert resumed.calls_sent == calls_to_read(len(whole)) - 2  # the two pages read before are not read again


def test_records_carry_the_pipelines_field_names_and_the_orgs_values(sim: Simulator) -> None:
    org = sim.org(ORG)
    contacts = {r["Id"]: r for r in every_record(adapter(sim), "Contact")}
    for row in org.rows("Contact", include_deleted=False).head(50).to_dict("records"):
        seen = contacts[number(row["Id"])]
        assert (seen["FirstName"], seen["LastName"], seen["Email"], seen["Title"], seen["MailingCountry"]) == \
            (row["FirstName"], row["LastName"], row["Email"], row["Title"], row["MailingCountry"])
        assert seen["AccountId"] == (number(row["AccountId"]) if row["AccountId"] else None)
        assert seen["OwnerId"] == number(row["OwnerId"])
        assert seen["HasOptedOutOfEmail"] == bool(row["HasOptedOutOfEmail"])
        assert seen["SystemModstamp"] == seen["LastModifiedDate"] == to_the_second(row["SystemModstamp"])
        assert seen["CreatedDate"] == to_the_second(row["CreatedDate"])
        assert seen["IsDeleted"] is False
    converted = convert_page(list(contacts.values())[:500], BY_NAME["Contact"])
    assert converted.rejected == [] and len(converted.rows) == 500


def test_lead_statuses_and_sources_are_named_and_conversions_point_at_their_records(sim: Simulator) -> None:
    org = sim.org(ORG)
    leads = {r["Id"]: r for r in every_record(adapter(sim), "Lead", extra=["Persona__c"])}
    rows = org.rows("Lead", include_deleted=False)
    for row in rows.to_dict("records"):
        seen = leads[number(row["Id"])]
        assert (seen["Status"], seen["LeadSource"], seen["Company"], seen["Persona__c"]) == \
            (row["Status"], row["LeadSource"], row["Company"], row["Persona__c"])
        assert seen["IsConverted"] == bool(row["IsConverted"])
        if row["IsConverted"]:
            assert seen["ConvertedContactId"] == number(row["ConvertedContactId"])
            assert seen["ConvertedDate"] == pd.Timestamp(row["ConvertedDate"]).strftime("%Y-%m-%d")
    assert rows["IsConverted"].astype(bool).any()


def test_opportunities_close_by_state_and_their_contact_links_are_the_contact_roles(sim: Simulator) -> None:
    org = sim.org(ORG)
    crm = adapter(sim)
    opportunities = {r["Id"]: r for r in every_record(crm, "Opportunity")}
    for row in org.rows("Opportunity", include_deleted=False).to_dict("records"):
        seen = opportunities[number(row["Id"])]
        assert (seen["StageName"], seen["IsClosed"], seen["IsWon"]) == \
            (row["StageName"], bool(row["IsClosed"]), bool(row["IsWon"]))
        assert seen["Amount"] == (None if pd.isna(row["Amount"]) else row["Amount"])
        assert seen["CloseDate"] == pd.Timestamp(row["CloseDate"]).strftime("%Y-%m-%d")
    roles = every_record(crm, "OpportunityContactRole")
    live_roles = org.rows("OpportunityContactRole", include_deleted=False)
    expected = {(number(o), number(c), None if pd.isna(role) else role) for o, c, role in
                zip(live_roles["OpportunityId"], live_roles["ContactId"], live_roles["Role"], strict=True)}
    assert {(r["OpportunityId"], r["ContactId"], r["Role"]) for r in roles} == expected
    assert convert_page(roles[:500], BY_NAME["OpportunityContactRole"]).rejected == []


def test_users_read_with_their_email_as_user_name(sim: Simulator) -> None:
    users = every_record(adapter(sim), "User")
    rows = sim.org(ORG).rows("User")
    assert sorted(u["Id"] for u in users) == sorted(number(i) for i in rows["Id"])
    by_id = {u["Id"]: u for u in users}
    for row in rows.to_dict("records"):
        user = by_id[number(row["Id"])]
        assert user["Username"] == user["Email"] == row["Email"] and user["IsActive"] == bool(row["IsActive"])


def test_an_incremental_read_gives_exactly_the_records_changed_since_the_time_asked(sim: Simulator) -> None:
    org = sim.org(ORG)
    org.advance_clock(7200)
    since = org.clock.now().to_pydatetime()
    org.advance_clock(5)
    edited = list(org.rows("Account", include_deleted=False)["Id"].iloc[[3, 11]])
    for account in edited:
        org.edit("Account", account, {"Website": "https://changed.example"})
    crm = adapter(sim)
    changed = every_record(crm, "Account", since=since)
    assert sorted(r["Id"] for r in changed) == sorted(number(i) for i in edited)
    assert all(r["Website"] == "https://changed.example" for r in changed)
    assert crm.calls_sent == 1
    assert every_record(adapter(sim), "Account", since=since + timedelta(hours=1)) == []


def test_deletions_show_as_ids_missing_from_the_id_set_read_in_brief_pages(sim: Simulator) -> None:
    org = sim.org(ORG)
    crm = adapter(sim)
    assert crm.has_delete_log is False
    gone = str(org.rows("Contact", include_deleted=False)["Id"].iloc[7])
    org.delete("Contact", gone)
    pages = list(crm.list_ids("Contact", include_deleted=True))
    ids = [i for page in pages for i in page]
    live = org.rows("Contact", include_deleted=False)["Id"]
    assert sorted(ids) == sorted(number(i) for i in live) and number(gone) not in ids
    assert crm.calls_sent == len(pages) == calls_to_read(len(live))
    try:
        crm.read_deleted("Contact", since := org.clock.now().to_pydatetime() - timedelta(days=1), since)
    except DeleteLogTooOld as no_log:
        assert "Insightly keeps no delete log" in str(no_log)
    else:
        raise AssertionError("an Insightly delete log was read")
    role_ids = [i for page in adapter(sim).list_ids("OpportunityContactRole", include_deleted=True) for i in page]
    assert sorted(role_ids) == sorted(r["Id"] for r in every_record(adapter(sim), "OpportunityContactRole"))


def test_describe_lists_the_standard_fields_and_the_custom_field_definitions(sim: Simulator) -> None:
    crm = adapter(sim)
    fields = {f["name"]: f for f in crm.describe_fields("Lead")}
    assert fields["Persona__c"] == {"name": "Persona__c", "label": "Persona", "custom": True}
    assert fields["App_External_Id__c"]["custom"] and not fields["Email"]["custom"]
    assert {"Id", "Status", "SystemModstamp", "ConvertedContactId"} <= set(fields)
    assert crm.calls_sent == 1
    crm.describe_fields("Lead")
    assert crm.calls_sent == 1  # definitions are read once per adapter
    assert crm.field_history_of("Lead") is None
    assert list(crm.read_field_history("Lead", "LeadHistory", ["Email"], None)) == []


def test_objects_insightly_lacks_are_named_and_cost_no_call(sim: Simulator) -> None:
    crm = adapter(sim)
    for lacking in ("Campaign", "AccountTeamMember"):
        assert crm.lacks(lacking)
        assert list(crm.read_changed(BY_NAME[lacking], [], None)) == []
        assert list(crm.list_ids(lacking, include_deleted=True)) == []
        assert crm.describe_fields(lacking) == []
    assert "campaigns" in str(crm.lacks("Campaign"))
    assert crm.lacks("Contact") is None and crm.calls_sent == 0


def test_org_usage_comes_from_the_rate_limit_headers_of_every_answer(sim: Simulator) -> None:
    crm = adapter(sim)
    usage = crm.read_org_usage()
    assert crm.calls_sent == 1
    assert usage == OrgUsage(sim.org(ORG).api_usage()["used"], sim.org(ORG).api_usage()["limit"]) == crm.org_usage
    assert crm.crm_time is not None
    every_record(crm, "User")
    assert crm.org_usage.used == sim.org(ORG).api_usage()["used"]


def test_records_deleted_while_paging_pass_over_none_of_the_others(sim: Simulator) -> None:
    org = sim.org(ORG)
    first_page = list(org.rows("Lead", include_deleted=False)["Id"].iloc[:500])
    calls = []

    def delete_between_pages() -> None:
        calls.append(1)
        if len(calls) == 2:  # after the first page: every later lead moves forward
            for lead in first_page[100:130]:
                org.delete("Lead", lead)

    crm = adapter(sim, reserve_call=delete_between_pages)
    ids = [i for page in crm.list_ids("Lead", include_deleted=True) for i in page]
    live = org.rows("Lead", include_deleted=False)["Id"]
    assert set(ids) >= {number(i) for i in live} and len(ids) == len(set(ids))
    assert set(ids) - {number(i) for i in live} == {number(i) for i in first_page[100:130]}
    changed = every_record(adapter(sim), "Lead")
    assert sorted(r["Id"] for r in changed) == sorted(number(i) for i in live)
