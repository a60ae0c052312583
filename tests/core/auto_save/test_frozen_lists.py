"""L4 and L9 (T3): with the tenant's switch off, or while it is disconnected, lists stay exactly as
they were and no change is recorded; and an app user who loses their CRM match keeps theirs."""

import dataclasses

import pandas as pd
from pandas.testing import assert_frame_equal

from crm_pipelines.core.auto_save import rebuild_lists

from tests.core.auto_save.small_org import (
    ACME, ANA, BEN, CY, GLOBEX, INITECH, T0, T1, T2, changes_of, ids_of, inputs, matches, overrides, small_org, with_rows,
)

ACCOUNTS = "accounts"


def changed_org():
    """The org a day later: ACME has a new owner and Ana removed GLOBEX by hand."""
    org = small_org()
    return dataclasses.replace(org, accounts=with_rows(org.accounts, ACME, owner_id=CY))


REMOVAL = overrides(("u-ana", ACCOUNTS, "remove", GLOBEX, T0 + pd.Timedelta(hours=1)))


def test_L4_the_tenant_switch_off_freezes_every_list_as_it_was():
    first = rebuild_lists(inputs(), T0)
    frozen = rebuild_lists(inputs(changed_org(), previous_lists=first.lists, manual_overrides=REMOVAL,
                                  enabled=False), T1)
    assert_frame_equal(frozen.lists, first.lists)
    assert frozen.changes.empty
    assert frozen.frozen_reason == "auto-save is switched off for this tenant"
    assert frozen.summary[["added", "removed", "capped_out"]].to_numpy().sum() == 0
    assert frozen.summary.set_index(["user_id", "list"])["items"].to_dict() == \
        first.summary.set_index(["user_id", "list"])["items"].to_dict()


def test_L4_a_tenant_with_the_switch_off_from_the_start_gets_no_lists():
    result = rebuild_lists(inputs(enabled=False), T0)
    assert result.lists.empty
    assert result.changes.empty


def test_L9_a_disconnect_between_two_rebuilds_freezes_lists_until_reconnected():
    first = rebuild_lists(inputs(), T0)
    while_disconnected = rebuild_lists(inputs(changed_org(), previous_lists=first.lists, manual_overrides=REMOVAL,
                                              connected=False), T1)
    assert_frame_equal(while_disconnected.lists, first.lists)
    assert while_disconnected.changes.empty
    assert while_disconnected.frozen_reason == "the tenant is disconnected from its CRM"

    reconnected = rebuild_lists(inputs(changed_org(), previous_lists=while_disconnected.lists,
                                       manual_overrides=REMOVAL), T2)
    assert ids_of(reconnected)[("u-ana", ACCOUNTS)] == {INITECH}
    assert ("u-cy", ACCOUNTS, ACME, "added", "added: A2 account owned by you") in changes_of(reconnected)


def test_an_app_user_who_loses_their_crm_match_keeps_their_lists_as_they_were():
    first = rebuild_lists(inputs(), T0)
    second = rebuild_lists(inputs(changed_org(), previous_lists=first.lists,
                                  user_matches=matches({"u-ben": BEN, "u-cy": CY})), T1)
    ana_before = first.lists[first.lists["user_id"] == "u-ana"].reset_index(drop=True)
    ana_after = second.lists[second.lists["user_id"] == "u-ana"].reset_index(drop=True)
    assert_frame_equal(ana_after, ana_before)
    assert not (second.changes["user_id"] == "u-ana").any()
    assert (second.summary["user_id"] == "u-ana").sum() == 2
    # Matched again later, to the same CRM user: rules apply again.
    third = rebuild_lists(inputs(changed_org(), previous_lists=second.lists,
                                 user_matches=matches({"u-ana": ANA, "u-ben": BEN, "u-cy": CY})), T2)
    assert ACME not in ids_of(third)[("u-ana", ACCOUNTS)]
