"""A record deleted in the CRM leaves every list at the next rebuild (issue 14, L6 as amended).

The spec's L6 kept such items on the list flagged deleted; the issue asks that they leave, and the
issue wins. Deleted means flagged deleted in the warehouse: in the recycle bin, hard-deleted or
purged. Auto-saved and manually added items leave alike (the record they stood for is gone), each
with the reason "removed: deleted in the CRM", and the slot is free for the cap. A record undeleted
since comes back by the rules, or as the manual add still in force: a deletion is not a manual
removal, so L7 does not keep it off.
"""

import dataclasses

from crm_pipelines.core.auto_save import rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, C2, HOOLI, T0, T1, T2, changes_of, ids_of, inputs, lists_of, overrides, small_org, with_rows,
)
from tests.core.auto_save.zoe_org import LEADS, Z, zoe_inputs, zoe_list, zoe_org

ACCOUNTS = "accounts"
DELETED = "removed: deleted in the CRM"


def _with_contact_deleted(crm_id: str, deleted: bool = True):
    org = small_org()
    return dataclasses.replace(org, contacts=with_rows(org.contacts, crm_id, is_deleted=deleted))


def _with_account_deleted(crm_id: str, deleted: bool = True):
    org = small_org()
    return dataclasses.replace(org, accounts=with_rows(org.accounts, crm_id, is_deleted=deleted))


def test_a_record_deleted_in_the_crm_leaves_every_list_it_was_on_saying_so():
    first = rebuild_lists(inputs(), T0)
    assert lists_of(first)[("u-ana", LEADS)][C2] == ("P4", "P5")
    assert lists_of(first)[("u-ben", LEADS)][C2] == ("P2", "P3", "P4")

    second = rebuild_lists(inputs(_with_contact_deleted(C2), previous_lists=first.lists), T1)
    assert C2 not in set(second.lists["crm_id"])
    assert changes_of(second) == {("u-ana", LEADS, C2, "removed", DELETED), ("u-ben", LEADS, C2, "removed", DELETED)}
    summary = second.summary.set_index(["user_id", "list"])
    assert summary.loc[("u-ben", LEADS), ["removed", "deleted_items"]].tolist() == [1, 0]
    assert not second.lists["is_deleted"].any()


def test_a_manual_add_whose_record_is_deleted_leaves_too_and_is_back_once_undeleted():
    added = overrides(("u-ana", ACCOUNTS, "add", HOOLI, T0))
    first = rebuild_lists(inputs(manual_overrides=added), T0)
    assert HOOLI in ids_of(first)[("u-ana", ACCOUNTS)]

    second = rebuild_lists(inputs(_with_account_deleted(HOOLI), previous_lists=first.lists, manual_overrides=added), T1)
    assert HOOLI not in ids_of(second)[("u-ana", ACCOUNTS)]
    assert ("u-ana", ACCOUNTS, HOOLI, "removed", DELETED) in changes_of(second)

    # The user's add was never withdrawn: restored from the recycle bin, the record is theirs again.
    third = rebuild_lists(inputs(previous_lists=second.lists, manual_overrides=added), T2)
    row = third.lists.set_index(["user_id", "crm_id"]).loc[("u-ana", HOOLI)]
    assert (tuple(row["rules"]), row["source"], bool(row["is_deleted"])) == (("manual",), "manual", False)
    assert ("u-ana", ACCOUNTS, HOOLI, "added", "added: manual add") in changes_of(third)


def test_an_undeleted_record_comes_back_by_the_rules_as_a_new_item():
    first = rebuild_lists(inputs(), T0)
    second = rebuild_lists(inputs(_with_contact_deleted(C2), previous_lists=first.lists), T1)
    third = rebuild_lists(inputs(_with_contact_deleted(C2, deleted=False), previous_lists=second.lists), T2)
    rows = third.lists.set_index(["user_id", "crm_id"])
    assert tuple(rows.loc[("u-ben", C2), "rules"]) == ("P2", "P3", "P4")
    assert rows.loc[("u-ben", C2), "added_at"] == T2  # a new item: it left the list in between
    assert ("u-ana", LEADS, C2, "added",
            "added: P4 contact of an account owned by your owner team; P5 contact of an account with you on its "
            "Account Team") in changes_of(third)
    assert {c[2] for c in changes_of(third)} == {C2}


def test_a_record_removed_by_hand_then_deleted_and_undeleted_stays_off():
    removed = overrides(("u-ana", ACCOUNTS, "remove", ACME, T0))
    first = rebuild_lists(inputs(manual_overrides=removed), T0)
    second = rebuild_lists(inputs(_with_account_deleted(ACME), previous_lists=first.lists, manual_overrides=removed), T1)
    third = rebuild_lists(inputs(previous_lists=second.lists, manual_overrides=removed), T2)
    assert ACME not in ids_of(third)[("u-ana", ACCOUNTS)]
    assert not any(c[:3] == ("u-ana", ACCOUNTS, ACME) for c in changes_of(second) | changes_of(third))


def test_a_deleted_item_frees_its_slot_for_the_next_in_priority():
    first = rebuild_lists(zoe_inputs(), T0, cap=5)
    assert zoe_list(first) == {Z[8], Z[7], Z[4], Z[6], Z[5]}
    org = zoe_org()
    without_z7 = dataclasses.replace(org, contacts=with_rows(org.contacts, Z[7], is_deleted=True))
    second = rebuild_lists(zoe_inputs(without_z7, previous_lists=first.lists), T1, cap=5)
    assert zoe_list(second) == {Z[8], Z[4], Z[6], Z[5], Z[9]}
    assert changes_of(second) == {
        ("u-zoe", LEADS, Z[7], "removed", DELETED),
        ("u-zoe", LEADS, Z[9], "added", "added: P2 of an account you own; P4 contact of an account owned by your "
                                        "owner team"),
    }
