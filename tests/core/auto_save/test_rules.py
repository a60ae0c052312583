"""L1-L3: each rule alone, all together, and who gets lists at all — on the hand-built org."""

from dataclasses import replace

from crm_pipelines.core.auto_save import rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, ANA, C1, C2, C3, C4, C5, C7, GLOBEX, HOOLI, INITECH, L1, L2, L4, T0, UMBRELLA,
    ids_of, inputs, lists_of, matches, only,
)

ACCOUNTS, LEADS = "accounts", "leads_and_contacts"


def lists_with_only(rule: str) -> dict[tuple[str, str], set[str]]:
    return ids_of(rebuild_lists(inputs(rule_selections=only([rule])), T0))


def test_A1_accounts_on_the_users_owned_open_opportunities():
    # OPP1 (open, Ana) is on INITECH; OPP3 (open, Cy) on UMBRELLA; OPP2 is closed; OPP4 deleted.
    assert lists_with_only("A1") == {("u-ana", ACCOUNTS): {INITECH}, ("u-cy", ACCOUNTS): {UMBRELLA}}


def test_A2_accounts_the_user_owns():
    # Ana's GONE_CO is deleted in the CRM, so it satisfies nothing.
    assert lists_with_only("A2") == {
        ("u-ana", ACCOUNTS): {ACME}, ("u-ben", ACCOUNTS): {GLOBEX},
        ("u-cy", ACCOUNTS): {UMBRELLA}, ("u-mia", ACCOUNTS): {HOOLI},
    }


def test_A3_accounts_whose_account_team_includes_the_user():
    # Cy's team membership of HOOLI is deleted.
    assert lists_with_only("A3") == {("u-ana", ACCOUNTS): {GLOBEX}, ("u-ben", ACCOUNTS): {UMBRELLA}}


def test_P1_contacts_with_a_role_on_or_converted_into_the_users_owned_open_opportunities():
    # OPP1 (Ana): contact role C3, and lead L3 converted into it and into C3 (the Contact, never the
    # converted Lead, X5). OPP3 (Cy): C4. OPP2's C1: the deal is closed.
    assert lists_with_only("P1") == {("u-ana", LEADS): {C3}, ("u-cy", LEADS): {C4}}


def test_P2_leads_and_contacts_of_accounts_the_user_owns():
    # ACME: C1 (C6 is deleted) and L1 by its email domain. GLOBEX: C2 and L4 by domain; L3,
    # converted into it, is no item (X5). L2 is at gmail.com, which links to no account.
    assert lists_with_only("P2") == {
        ("u-ana", LEADS): {C1, L1}, ("u-ben", LEADS): {C2, L4},
        ("u-cy", LEADS): {C4}, ("u-mia", LEADS): {C5},
    }


def test_P3_leads_and_contacts_the_user_owns():
    # L5 (Ana's) is deleted.
    assert lists_with_only("P3") == {
        ("u-ana", LEADS): {C1, C7, L1}, ("u-ben", LEADS): {C2, L4},
        ("u-cy", LEADS): {C4, L2}, ("u-mia", LEADS): {C5},
    }


def test_P4_contacts_of_accounts_owned_by_the_users_owner_team():
    # Ana, Ben and Dan share Mia as manager: ACME (Ana) C1, GLOBEX (Ben) C2, INITECH (Dan) C3, C7.
    # Cy and Mia have no manager: each is a team of one.
    team = {C1, C2, C3, C7}
    assert lists_with_only("P4") == {
        ("u-ana", LEADS): team, ("u-ben", LEADS): team, ("u-cy", LEADS): {C4}, ("u-mia", LEADS): {C5},
    }


def test_P5_contacts_of_accounts_whose_account_team_includes_the_user():
    assert lists_with_only("P5") == {("u-ana", LEADS): {C2}, ("u-ben", LEADS): {C4}}


def test_all_rules_together_give_each_item_every_rule_that_holds():
    result = rebuild_lists(inputs(), T0)
    assert lists_of(result) == {
        ("u-ana", ACCOUNTS): {ACME: ("A2",), GLOBEX: ("A3",), INITECH: ("A1",)},
        ("u-ana", LEADS): {C1: ("P2", "P3", "P4"), C2: ("P4", "P5"), C3: ("P1", "P4"), C7: ("P3", "P4"),
                           L1: ("P2", "P3")},
        ("u-ben", ACCOUNTS): {GLOBEX: ("A2",), UMBRELLA: ("A3",)},
        ("u-ben", LEADS): {C1: ("P4",), C2: ("P2", "P3", "P4"), C3: ("P4",), C4: ("P5",), C7: ("P4",),
                           L4: ("P2", "P3")},
        ("u-cy", ACCOUNTS): {UMBRELLA: ("A1", "A2")},
        ("u-cy", LEADS): {C4: ("P1", "P2", "P3", "P4"), L2: ("P3",)},
        ("u-mia", ACCOUNTS): {HOOLI: ("A2",)},
        ("u-mia", LEADS): {C5: ("P2", "P3", "P4")},
    }


def test_every_item_records_its_type_source_and_when_it_was_added():
    rows = rebuild_lists(inputs(), T0).lists
    ana = rows[rows["user_id"] == "u-ana"].set_index("crm_id")
    assert ana.loc[ACME, "record_type"] == "Account"
    assert ana.loc[C1, "record_type"] == "Contact"
    assert ana.loc[L1, "record_type"] == "Lead"
    assert set(rows["source"]) == {"auto"}
    assert set(rows["added_at"]) == {T0}
    assert not rows["is_deleted"].any()


def test_L1_only_app_users_matched_to_a_crm_user_get_lists():
    # u-eve has no CRM user; u-dan's match is NA; the CRM user Dan owns records but is no app user.
    crm_matches = matches({"u-ana": ANA, "u-eve": None})
    result = rebuild_lists(inputs(user_matches=crm_matches), T0)
    assert set(result.lists["user_id"]) == {"u-ana"}
    assert set(result.summary["user_id"]) == {"u-ana"}


def test_an_app_user_matched_to_a_crm_user_missing_from_crm_users_gets_owner_rules_only():
    # The CRM users table lacks Ana's row: her records still name her, and her team is just her.
    org = inputs().crm
    crm = replace(org, users=org.users[org.users["id"] != ANA])
    result = rebuild_lists(inputs(crm=crm, user_matches=matches({"u-ana": ANA})), T0)
    assert ids_of(result)[("u-ana", LEADS)] == {C1, C2, C3, C7, L1}
    # P4 now gives her only ACME's C1 (a team of one); C2 and C3 hold by P5 and P1, C7 by P3.
    assert lists_of(result)[("u-ana", LEADS)][C1] == ("P2", "P3", "P4")
    assert lists_of(result)[("u-ana", LEADS)][C3] == ("P1",)
