"""L10: "why is X on U's list", and "why isn't it", in a sentence (the CLI's `lists explain`)."""

import dataclasses

import pandas as pd

from crm_pipelines.core.auto_save import explain, rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, C6, CY, GLOBEX, HOOLI, T0, T1, UMBRELLA, inputs, matches, overrides, selections, sf_id, small_org,
    with_rows,
)
from tests.core.auto_save.zoe_org import Z, zoe_inputs

ACCOUNTS = "accounts"


def stored(**changes):
    """Inputs whose previous lists are the lists stored by a rebuild at T0."""
    first = rebuild_lists(inputs(**changes), T0)
    return inputs(previous_lists=first.lists, **changes)


def test_an_item_on_the_list_is_explained_by_its_rules_and_when_it_was_added():
    answer = explain(stored(), "u-ana", ACME, T1)
    assert (answer.on_list, answer.verdict, answer.list) == (True, "on_list", ACCOUNTS)
    assert answer.sentence == (f"Account {ACME} is on u-ana's My CRM Accounts list because of A2 account owned by "
                               "you, added at 2026-06-01T05:00:00Z.")


def test_an_item_added_by_hand_says_so():
    added = overrides(("u-ana", ACCOUNTS, "add", HOOLI, T0))
    answer = explain(stored(manual_overrides=added), "u-ana", HOOLI, T1)
    assert answer.sentence == (f"Account {HOOLI} is on u-ana's My CRM Accounts list because it was added by hand, "
                               "added at 2026-06-01T05:00:00Z.")


def test_an_item_the_next_rebuild_will_remove_says_why():
    previous = stored()
    org = small_org()
    now = dataclasses.replace(previous, crm=dataclasses.replace(org, accounts=with_rows(org.accounts, ACME, owner_id=CY)))
    answer = explain(now, "u-ana", ACME, T1)
    assert answer.on_list
    assert answer.sentence.endswith(f"The next rebuild will remove it: no selected rule holds any more "
                                    f"(owner changed to {CY}).")


def test_an_item_removed_by_hand_is_explained_by_the_removal():
    removed = overrides(("u-ana", ACCOUNTS, "remove", ACME, T0 + pd.Timedelta(hours=1)))
    first = rebuild_lists(inputs(), T0)
    second = rebuild_lists(inputs(previous_lists=first.lists, manual_overrides=removed), T1)
    answer = explain(inputs(previous_lists=second.lists, manual_overrides=removed), "u-ana", ACME, T1)
    assert (answer.on_list, answer.verdict) == (False, "removed_manually")
    assert answer.sentence == (f"Account {ACME} is not on u-ana's My CRM Accounts list: u-ana removed it by hand at "
                               "2026-06-01T06:00:00Z, and auto-save never adds it back.")


def test_an_item_no_rule_matches_is_explained():
    answer = explain(stored(), "u-ana", UMBRELLA, T1)
    assert answer.verdict == "no_rule"
    assert answer.sentence == (f"Account {UMBRELLA} is not on u-ana's My CRM Accounts list: none of the rules "
                               "A1, A2, A3 matches it for u-ana.")


def test_an_item_only_unselected_rules_match_names_them():
    answer = explain(stored(rule_selections=selections(u_ana=(["A1"], []))), "u-ana", GLOBEX, T1)
    assert answer.verdict == "rules_not_selected"
    assert answer.sentence == (f"Account {GLOBEX} is not on u-ana's My CRM Accounts list: no rule u-ana selected "
                               "matches it; A3 account with you on its Account Team would, if selected.")


def test_a_capped_out_item_gives_its_priority_rank():
    first = rebuild_lists(zoe_inputs(), T0, cap=5)
    answer = explain(zoe_inputs(previous_lists=first.lists), "u-zoe", Z[9], T1, cap=5)
    assert answer.verdict == "capped_out"
    assert answer.sentence == (f"Contact {Z[9]} is not on u-zoe's My CRM Leads and Contacts list: it qualifies "
                               "(P2 of an account you own; P4 contact of an account owned by your owner team), but "
                               "the list is full: it ranks 6 of 9 by priority and the list keeps 5.")


def test_a_record_deleted_in_the_crm_is_never_added():
    answer = explain(stored(), "u-ben", C6, T1)
    assert answer.verdict == "deleted"


def test_a_user_without_a_crm_match_has_no_lists():
    answer = explain(stored(user_matches=matches({"u-eve": None})), "u-eve", ACME, T1)
    assert answer.verdict == "no_crm_match"
    assert answer.sentence.endswith("u-eve is not matched to a CRM user, and only matched users get auto-save lists.")


def test_the_tenant_switch_off_is_named():
    answer = explain(dataclasses.replace(stored(), enabled=False), "u-ana", UMBRELLA, T1)
    assert answer.verdict == "frozen"
    assert "auto-save is switched off for this tenant" in answer.sentence
    on_frozen_list = explain(dataclasses.replace(stored(), enabled=False), "u-ana", ACME, T1)
    assert on_frozen_list.on_list
    assert on_frozen_list.sentence.endswith("The list is frozen: auto-save is switched off for this tenant.")


def test_an_unknown_record_is_named():
    unknown = sf_id("001", "nowhere")
    answer = explain(stored(), "u-ana", unknown, T1)
    assert answer.verdict == "unknown_record"
    assert answer.sentence == (f"Account {unknown} is not on u-ana's My CRM Accounts list: there is no such record in "
                               "this tenant's CRM data.")


def test_a_record_that_qualifies_since_the_last_rebuild_will_be_added():
    answer = explain(inputs(), "u-ana", ACME, T0)  # nothing stored yet
    assert answer.verdict == "will_be_added"
    assert answer.sentence == (f"Account {ACME} is not on u-ana's My CRM Accounts list yet: the next rebuild adds it "
                               "because of A2 account owned by you.")
