"""L7 and L8: the users' own removals and adds, and that auto-save never undoes a removal."""

import dataclasses

import pandas as pd
import pytest

from crm_pipelines.core.auto_save import override_problem, rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, C1, C2, C3, C7, GLOBEX, HOOLI, INITECH, L1, T0, T1, T2, UMBRELLA, changes_of, contacts, day, ids_of,
    inputs, lists_of, overrides, selections, sf_id, small_org, with_rows,
)

ACCOUNTS, LEADS = "accounts", "leads_and_contacts"
AT = T0 + pd.Timedelta(hours=1)  # when the user acted, between the first and the second rebuild


def three_rebuilds(actions, crm_later=None, **changes):
    """Rebuild at T0 with no overrides, at T1 with `actions`, and at T2 (with `crm_later`, if given)."""
    first = rebuild_lists(inputs(**changes), T0)
    second = rebuild_lists(inputs(previous_lists=first.lists, manual_overrides=actions, **changes), T1)
    third = rebuild_lists(inputs(crm_later or small_org(), previous_lists=second.lists, manual_overrides=actions,
                                 **changes), T2)
    return first, second, third


def test_removing_an_account_alone_keeps_its_leads_and_contacts_and_it_never_comes_back():
    _, second, third = three_rebuilds(overrides(("u-ana", ACCOUNTS, "remove", ACME, AT)))
    assert ids_of(second)[("u-ana", ACCOUNTS)] == {GLOBEX, INITECH}
    assert {C1, L1} <= ids_of(second)[("u-ana", LEADS)]
    assert changes_of(second) == {
        ("u-ana", ACCOUNTS, ACME, "removed", "removed: manual removal at 2026-06-01T06:00:00Z")}
    assert ids_of(third)[("u-ana", ACCOUNTS)] == {GLOBEX, INITECH}
    assert third.changes.empty


def test_removing_an_account_with_its_leads_and_contacts_and_they_never_come_back():
    org = small_org()
    c8 = sf_id("003", "c8")  # created on ACME after the removal, owned by Ana
    crm_later = dataclasses.replace(org, contacts=contacts(
        *org.contacts.to_dict("records"),
        {"id": c8, "account_id": ACME, "owner_id": org.accounts["owner_id"].iloc[0], "last_modified_date": day(30)}))
    _, second, third = three_rebuilds(overrides(("u-ana", ACCOUNTS, "remove_with_leads_and_contacts", ACME, AT)),
                                      crm_later=crm_later)
    reason = f"removed: manual removal of account {ACME} with its leads and contacts at 2026-06-01T06:00:00Z"
    assert changes_of(second) == {("u-ana", ACCOUNTS, ACME, "removed", reason),
                                  ("u-ana", LEADS, C1, "removed", reason),
                                  ("u-ana", LEADS, L1, "removed", reason)}
    assert ids_of(second)[("u-ana", LEADS)] == {C2, C3, C7}
    assert ids_of(third)[("u-ana", LEADS)] == {C2, C3, C7}
    # Only Ana removed them: Ben keeps ACME's C1 and gains the new contact (P4).
    assert changes_of(third) == {("u-ben", LEADS, c8, "added", "added: P4 contact of an account owned by your owner team")}
    assert C1 in ids_of(third)[("u-ben", LEADS)]


def test_a_removed_account_is_not_added_back_even_when_a_new_rule_holds():
    org = small_org()
    crm_later = dataclasses.replace(org, accounts=with_rows(org.accounts, GLOBEX, owner_id=org.accounts["owner_id"].iloc[0]))
    _, _, third = three_rebuilds(overrides(("u-ana", ACCOUNTS, "remove", GLOBEX, AT)), crm_later=crm_later)
    assert GLOBEX not in ids_of(third)[("u-ana", ACCOUNTS)]


def test_a_removal_before_the_first_rebuild_keeps_the_record_off_from_the_start():
    result = rebuild_lists(inputs(manual_overrides=overrides(("u-ana", LEADS, "remove", C7, T0))), T0)
    assert C7 not in ids_of(result)[("u-ana", LEADS)]
    assert not any(c[0] == "u-ana" and c[2] == C7 for c in changes_of(result))
    assert C7 in ids_of(result)[("u-ben", LEADS)]  # Ben's P4 is his own


def test_L8_a_manual_add_of_an_account_the_rules_missed():
    _, second, third = three_rebuilds(overrides(("u-ana", ACCOUNTS, "add", HOOLI, AT)))
    row = second.lists.set_index(["user_id", "crm_id"]).loc[("u-ana", HOOLI)]
    assert (tuple(row["rules"]), row["source"], row["added_at"]) == (("manual",), "manual", AT)
    assert changes_of(second) == {("u-ana", ACCOUNTS, HOOLI, "added", "added: manual add")}
    assert HOOLI in ids_of(third)[("u-ana", ACCOUNTS)]
    assert third.changes.empty
    summary = second.summary.set_index(["user_id", "list"]).loc[("u-ana", ACCOUNTS)]
    assert (summary["items"], summary["auto_items"], summary["manual_items"]) == (4, 3, 1)


def test_a_manual_add_of_an_item_already_on_the_list_makes_it_manual_and_keeps_its_time():
    _, second, _ = three_rebuilds(overrides(("u-ana", ACCOUNTS, "add", ACME, AT)))
    row = second.lists.set_index(["user_id", "crm_id"]).loc[("u-ana", ACME)]
    assert (tuple(row["rules"]), row["source"], row["added_at"]) == (("manual",), "manual", T0)
    assert second.changes.empty


def test_the_latest_action_decides_and_adding_back_by_hand_undoes_a_removal():
    actions = overrides(("u-ana", ACCOUNTS, "remove", ACME, AT), ("u-ana", ACCOUNTS, "add", ACME, AT + pd.Timedelta(1, "h")))
    _, second, _ = three_rebuilds(actions)
    assert lists_of(second)[("u-ana", ACCOUNTS)][ACME] == ("manual",)


def test_adding_the_account_back_lifts_the_removal_of_its_leads_and_contacts():
    actions = overrides(("u-ana", ACCOUNTS, "remove_with_leads_and_contacts", ACME, AT),
                        ("u-ana", ACCOUNTS, "add", ACME, AT + pd.Timedelta(1, "h")))
    _, second, _ = three_rebuilds(actions)
    assert lists_of(second)[("u-ana", ACCOUNTS)][ACME] == ("manual",)
    assert {C1, L1} <= ids_of(second)[("u-ana", LEADS)]


def test_manual_adds_stay_when_all_rules_are_off():
    actions = overrides(("u-ana", ACCOUNTS, "add", HOOLI, AT))
    _, second, _ = three_rebuilds(actions, rule_selections=selections(u_ana=([], [])))
    assert lists_of(second)[("u-ana", ACCOUNTS)] == {HOOLI: ("manual",)}
    assert ("u-ana", LEADS) not in ids_of(second)


def test_removing_a_manual_add_by_hand_takes_it_off():
    actions = overrides(("u-ana", ACCOUNTS, "add", UMBRELLA, AT), ("u-ana", ACCOUNTS, "remove", UMBRELLA, T1))
    first = rebuild_lists(inputs(manual_overrides=actions.iloc[:1]), T0 + pd.Timedelta(hours=2))
    second = rebuild_lists(inputs(previous_lists=first.lists, manual_overrides=actions), T2)
    assert UMBRELLA in ids_of(first)[("u-ana", ACCOUNTS)]
    assert UMBRELLA not in ids_of(second)[("u-ana", ACCOUNTS)]


def test_an_unknown_action_is_refused_with_the_row():
    with pytest.raises(ValueError, match="an action other than .*'delete'"):
        rebuild_lists(inputs(manual_overrides=overrides(("u-ana", ACCOUNTS, "delete", ACME, AT))), T1)


def test_removing_with_leads_and_contacts_is_refused_on_the_leads_list():
    with pytest.raises(ValueError, match="remove_with_leads_and_contacts on a list other than 'accounts'"):
        rebuild_lists(inputs(manual_overrides=overrides(("u-ana", LEADS, "remove_with_leads_and_contacts", C1, AT))), T1)


def test_a_contact_added_to_the_accounts_list_is_refused():
    with pytest.raises(ValueError, match=f"list 'accounts' names record.*{sf_id('003', 'nobody')}"):
        rebuild_lists(inputs(manual_overrides=overrides(("u-ana", ACCOUNTS, "add", sf_id("003", "nobody"), AT))), T1)


def test_an_account_added_by_hand_that_the_crm_does_not_have_yet_is_kept_and_typed_by_its_prefix():
    unknown = sf_id("001", "notyet")
    result = rebuild_lists(inputs(manual_overrides=overrides(("u-ana", ACCOUNTS, "add", unknown, AT))), T1)
    row = result.lists.set_index("crm_id").loc[unknown]
    assert (row["record_type"], row["source"], bool(row["is_deleted"])) == ("Account", "manual", True)


def test_the_cli_is_told_why_a_manual_action_would_be_refused():
    org = small_org()
    assert override_problem(org, ACCOUNTS, "add", HOOLI) is None
    assert override_problem(org, LEADS, "remove", C7) is None
    assert override_problem(org, ACCOUNTS, "add", C7) == f"{C7} is not an account in this tenant's CRM data"
    assert override_problem(org, LEADS, "add", HOOLI) == f"{HOOLI} is not a lead or contact in this tenant's CRM data"
    assert override_problem(org, LEADS, "remove_with_leads_and_contacts", C7) == \
        "remove_with_leads_and_contacts applies to accounts, on the 'accounts' list"
    assert override_problem(org, "favourites", "add", HOOLI).startswith("there is no list 'favourites'")
