"""L5: at most `cap` items per list, kept in priority order; manual adds count toward the cap.

Zoe's org (zoe_org.py) has nine contacts in this priority order: Z8, Z7, Z4, Z6, Z5, Z9, Z3, Z2, Z1.
"""

import pandas as pd

from crm_pipelines.core.auto_save import CrmFrames, rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, GLOBEX, HOOLI, INITECH, T0, T1, accounts, changes_of, contacts, day, ids_of, inputs, leads, matches,
    opportunities, overrides, roles, sf_id, team, users,
)
from tests.core.auto_save.zoe_org import LEADS, OTHER, Q, Z, ZACC, zoe_inputs, zoe_list, zoe_org


def test_a_full_list_keeps_items_in_priority_order_and_caps_out_the_rest():
    result = rebuild_lists(zoe_inputs(), T0, cap=5, with_capped_out=True)
    assert zoe_list(result) == {Z[8], Z[7], Z[4], Z[6], Z[5]}
    summary = result.summary.set_index("list").loc[LEADS]
    assert (summary["items"], summary["capped_out"], summary["added"]) == (5, 4, 5)
    capped = result.capped_out.set_index("crm_id")
    assert capped["rank"].to_dict() == {Z[9]: 6, Z[3]: 7, Z[2]: 8, Z[1]: 9}
    assert set(capped["candidates"]) == {9}


def test_items_already_on_a_full_list_stay_ahead_of_newer_items():
    first = rebuild_lists(zoe_inputs(), T0, cap=5)
    newest = {"id": Z[10], "account_id": ZACC, "owner_id": OTHER, "last_modified_date": day(30)}
    second = rebuild_lists(zoe_inputs(zoe_org(newest), previous_lists=first.lists), T1, cap=5,
                           with_capped_out=True)
    assert zoe_list(second) == {Z[8], Z[7], Z[4], Z[6], Z[5]}
    assert second.changes.empty
    assert second.capped_out.set_index("crm_id").loc[Z[10], "rank"] == 6


def test_manual_adds_count_toward_the_cap():
    added = overrides(("u-zoe", LEADS, "add", Q, T0))
    result = rebuild_lists(zoe_inputs(manual_overrides=added), T0, cap=5)
    assert zoe_list(result) == {Q, Z[8], Z[7], Z[4], Z[6]}
    row = result.lists.set_index("crm_id").loc[Q]
    assert (tuple(row["rules"]), row["source"], row["added_at"]) == (("manual",), "manual", T0)


def test_a_manual_add_on_a_full_list_pushes_out_its_lowest_priority_auto_item():
    first = rebuild_lists(zoe_inputs(), T0, cap=5)
    added = overrides(("u-zoe", LEADS, "add", Q, T0 + pd.Timedelta(hours=3)))
    second = rebuild_lists(zoe_inputs(previous_lists=first.lists, manual_overrides=added), T1, cap=5)
    assert zoe_list(second) == {Q, Z[8], Z[7], Z[4], Z[6]}
    assert changes_of(second) == {
        ("u-zoe", LEADS, Q, "added", "added: manual add"),
        ("u-zoe", LEADS, Z[5], "removed", "removed: list full (cap 5): priority rank 6 of 10"),
    }


def test_L8_a_manual_account_add_counts_toward_the_account_cap():
    # Ana's rules give ACME (day 10), GLOBEX (day 20), INITECH (day 5); she adds HOOLI by hand.
    added = overrides(("u-ana", "accounts", "add", HOOLI, T0))
    result = rebuild_lists(inputs(manual_overrides=added), T0, cap=3)
    assert ids_of(result)[("u-ana", "accounts")] == {HOOLI, GLOBEX, ACME}
    assert INITECH not in ids_of(result)[("u-ana", "accounts")]


def test_the_real_cap_keeps_exactly_the_first_1000_of_1200_candidates_by_priority():
    big, acc, opp = sf_id("005", "big"), sf_id("001", "bigacc"), sf_id("006", "bigopp")
    n = 1200
    ids = [sf_id("003", f"b{i:04d}") for i in range(n)]
    modified = [day(0) + pd.Timedelta(hours=(i * 7919) % 400) for i in range(n)]  # three items per hour
    owned = [i % 5 == 0 for i in range(n)]
    on_opportunity = [i % 7 == 0 for i in range(n)]
    crm = CrmFrames(
        users=users((big, None)),
        accounts=accounts({"id": acc, "owner_id": big, "website": "big.com", "last_modified_date": day(0)}),
        account_team_members=team(),
        contacts=contacts(*({"id": ids[i], "account_id": acc, "owner_id": big if owned[i] else sf_id("005", "x"),
                             "last_modified_date": modified[i]} for i in range(n))),
        leads=leads(),
        opportunities=opportunities({"id": opp, "account_id": acc, "owner_id": big}),
        opportunity_contact_roles=roles(*((opp, ids[i]) for i in range(n) if on_opportunity[i])),
    )
    result = rebuild_lists(inputs(crm, user_matches=matches({"u-big": big})), T0, with_capped_out=True)

    by_priority = sorted(range(n), key=lambda i: (-modified[i].value, not on_opportunity[i], not owned[i], ids[i]))
    assert ids_of(result)[("u-big", LEADS)] == {ids[i] for i in by_priority[:1000]}
    capped = result.capped_out.sort_values("rank")
    assert capped["crm_id"].tolist() == [ids[i] for i in by_priority[1000:]]
    assert capped["rank"].tolist() == list(range(1001, 1201))
    assert result.summary.set_index("list").loc[LEADS, "capped_out"] == 200


def test_a_cap_of_zero_keeps_nothing():
    result = rebuild_lists(zoe_inputs(), T0, cap=0)
    assert result.lists.empty
    assert result.summary["capped_out"].sum() == 10  # 9 contacts and the account
