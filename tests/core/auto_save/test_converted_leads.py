"""X5 on the lists: a converted Lead is never an item; one that was on a list leaves it at the
next rebuild, saying why, and its Contact takes its place.

On the small org, Ana's list holds L1 (P2: its email is at ACME's domain, P3: she owns it). Then
a CRM user converts L1 into a new Contact C9 on ACME, owned by Ana."""

import dataclasses

from crm_pipelines.core.auto_save import explain, rebuild_lists
from tests.core.auto_save.small_org import (
    ACME, ANA, C1, L1, T0, T1, changes_of, contacts, day, inputs, leads, lists_of, overrides, sf_id, small_org,
)

LEADS = "leads_and_contacts"
C9 = sf_id("003", "c9")


def converted(contact: str | None = C9, *, contact_in_data: bool = True):
    org = small_org()
    lead_rows = [dict(row, **({"is_converted": True, "converted_account_id": ACME, "converted_contact_id": contact}
                              if row["id"] == L1 else {})) for row in org.leads.to_dict("records")]
    contact_rows = org.contacts.to_dict("records")
    if contact_in_data and contact == C9:
        contact_rows.append({"id": C9, "account_id": ACME, "owner_id": ANA, "last_modified_date": day(40)})
    return dataclasses.replace(org, leads=leads(*lead_rows), contacts=contacts(*contact_rows))


def rebuilt_after_conversion(crm_now, **now):
    first = rebuild_lists(inputs(), T0)
    assert L1 in lists_of(first)[("u-ana", LEADS)]
    return first, rebuild_lists(inputs(crm_now, previous_lists=first.lists, **now), T1)


def test_a_converted_lead_is_on_no_list_from_the_first_rebuild():
    result = rebuild_lists(inputs(converted()), T0)
    assert L1 not in set(result.lists["crm_id"])
    assert lists_of(result)[("u-ana", LEADS)][C9] == ("P2", "P3", "P4")


def test_a_lead_converted_after_it_was_listed_leaves_and_its_contact_takes_its_place():
    _, second = rebuilt_after_conversion(converted())
    ana = second.lists[(second.lists["user_id"] == "u-ana") & (second.lists["list"] == LEADS)].set_index("crm_id")
    assert L1 not in ana.index
    # The Contact keeps the Lead's place: listed since the Lead was.
    assert (ana.loc[C9, "record_type"], ana.loc[C9, "added_at"], tuple(ana.loc[C9, "rules"])) == (
        "Contact", T0, ("P2", "P3", "P4"))
    assert {c for c in changes_of(second) if c[0] == "u-ana"} == {
        ("u-ana", LEADS, L1, "removed", f"removed: the Lead was converted to Contact {C9} (X5)"),
        ("u-ana", LEADS, C9, "added", f"added: in place of converted Lead {L1}: P2 of an account you own; "
                                      "P3 owned by you; P4 contact of an account owned by your owner team"),
    }
    summary = second.summary.set_index(["user_id", "list"]).loc[("u-ana", LEADS)]
    assert (summary["added"], summary["removed"]) == (1, 1)


def test_a_lead_converted_into_a_contact_already_listed_leaves_and_the_contact_keeps_its_own_row():
    _, second = rebuilt_after_conversion(converted(C1))
    ana = lists_of(second)[("u-ana", LEADS)]
    assert L1 not in ana and C1 in ana
    assert second.lists.set_index(["user_id", "crm_id"]).loc[("u-ana", C1), "added_at"] == T0
    assert {c for c in changes_of(second) if c[0] == "u-ana"} == {
        ("u-ana", LEADS, L1, "removed", f"removed: the Lead was converted to Contact {C1} (X5)")}


def test_a_lead_converted_into_a_contact_not_extracted_yet_leaves_and_nothing_takes_its_place_yet():
    _, second = rebuilt_after_conversion(converted(contact_in_data=False))
    assert L1 not in lists_of(second)[("u-ana", LEADS)]
    assert {c for c in changes_of(second) if c[0] == "u-ana"} == {
        ("u-ana", LEADS, L1, "removed", "removed: the Lead was converted (X5); its Contact is not in the CRM data yet")}


def test_a_manual_removal_of_the_lead_keeps_its_contact_off_the_list():
    removal = overrides(("u-ana", LEADS, "remove", L1, T0))
    result = rebuild_lists(inputs(converted(), manual_overrides=removal), T1)
    assert {L1, C9}.isdisjoint(lists_of(result)[("u-ana", LEADS)])


def test_explain_says_a_converted_lead_is_not_listed_because_it_was_converted():
    first = rebuild_lists(inputs(), T0)
    answer = explain(inputs(converted(), previous_lists=first.lists[first.lists["crm_id"] != L1]), "u-ana", L1, T1)
    assert answer.verdict == "converted"
    assert f"converted to Contact {C9}" in answer.sentence
