"""L12: each user's saved items are the items on their lists they can work on, auto-saved and
added by hand, per list and in all; removed items and items the CRM deleted are off the lists and
not counted."""

import dataclasses

import pandas as pd

from crm_pipelines.core.auto_save import rebuild_lists
from crm_pipelines.core.auto_save.saved_items import saved_item_totals
from tests.core.auto_save.small_org import ACME, C1, HOOLI, T0, T1, T2, inputs, overrides, small_org, with_rows

ACCOUNTS, LEADS = "accounts", "leads_and_contacts"


def _totals(result) -> dict[str, tuple[int, ...]]:
    frame = result.saved_items.set_index("user_id")
    return {user: tuple(int(v) for v in row) for user, row in frame.iterrows()}


def test_auto_saved_and_manual_items_count_per_list_and_in_all():
    first = rebuild_lists(inputs(), T0)
    added = rebuild_lists(inputs(previous_lists=first.lists,
                                 manual_overrides=overrides(("u-ana", ACCOUNTS, "add", HOOLI, T0))), T1)
    # (accounts, leads and contacts, auto, manual, total)
    assert _totals(added) == {"u-ana": (4, 5, 8, 1, 9), "u-ben": (2, 6, 8, 0, 8), "u-cy": (1, 2, 3, 0, 3),
                              "u-mia": (1, 1, 2, 0, 2)}
    assert (added.saved_items["saved_items"] == added.saved_items["auto_items"] + added.saved_items["manual_items"]).all()


def test_removed_items_and_items_the_crm_deleted_do_not_count():
    first = rebuild_lists(inputs(), T0)
    org = small_org()
    crm = dataclasses.replace(org, contacts=with_rows(org.contacts, C1, is_deleted=True))
    later = rebuild_lists(inputs(crm, previous_lists=first.lists,
                                 manual_overrides=overrides(("u-ana", ACCOUNTS, "remove", ACME, T1))), T2)
    assert not ((later.lists["user_id"] == "u-ana") & (later.lists["crm_id"] == C1)).any()  # C1 left her list
    assert _totals(later)["u-ana"] == (2, 4, 6, 0, 6)


def test_a_matched_user_with_nothing_saved_counts_zero():
    lists = rebuild_lists(inputs(), T0).lists
    totals = saved_item_totals(lists[lists["user_id"] != "u-mia"], pd.Series(["u-mia", "u-ana"]))
    assert totals.set_index("user_id").loc["u-mia"].tolist() == [0, 0, 0, 0, 0]
