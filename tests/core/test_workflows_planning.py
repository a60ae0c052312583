"""W3: several changes of one prospect in one run, taken in order, and planned again with what was applied."""

import pandas as pd

from crm_pipelines.core.workflows import apply_cadence_actions, moved_membership_id, plan_cadence_actions
from tests.core.workflow_fixtures import NOW, memberships

TO_EXECUTIVE = ("w2", "move_to_cadence", "Executive", 2)
TO_NURTURE = ("w3", "move_to_cadence", "Nurture", 3)
NEXT_TOUCH = ("w0", "next_touch", None, 0)

SIX_MEMBERSHIPS = (
    ("m0", "p1", "Inbound", 1, "active"),
    ("m1", "p1", "Nurture", 1, "active"),
    ("m2", "p1", "Executive", 1, "active"),
    ("m3", "p2", "Inbound", 1, "active"),
    ("m4", "p2", "Nurture", 1, "active"),
)


def matches(*rows: tuple[str, str, tuple[str, str, str | None, int]]) -> pd.DataFrame:
    """(prospect_id, change_key, workflow) rows; a workflow is (name, action, target_cadence, position)."""
    return pd.DataFrame([
        {"prospect_id": prospect, "change_key": change, "workflow": name, "action": action,
         "target_cadence": target, "workflow_position": position, "reason": f"workflow '{name}'"}
        for prospect, change, (name, action, target, position) in rows
    ]).astype({"workflow_position": "int64"})


def planned(actions: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(zip(actions["membership_id"], actions["change_key"], actions["workflow"], strict=True))


def states(members: pd.DataFrame) -> dict[str, tuple[str, str, str, int]]:
    return {
        row.membership_id: (row.prospect_id, row.cadence_id, row.status, int(row.current_touch))
        for row in members.itertuples()
    }


def logged(log: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    return list(zip(log["membership_id"], log["change_key"], log["field"], log["new_value"], strict=True))


def test_a_later_change_moves_a_membership_back_into_the_cadence_an_earlier_change_moved_it_out_of():
    before = memberships(*SIX_MEMBERSHIPS, ("m5", "p3", "Nurture", 1, "active"))
    run = matches(("p3", "k0", TO_EXECUTIVE), ("p3", "k1", TO_NURTURE))
    actions = plan_cadence_actions(run, before, ())
    after, log = apply_cadence_actions(before, actions, NOW)
    in_executive = moved_membership_id("m5", "k0")
    back_in_nurture = moved_membership_id(in_executive, "k1")
    assert planned(actions) == [("m5", "k0", "w2"), ("m5", "k1", "w3")]
    assert logged(log) == [
        ("m5", "k0", "status", "moved"),
        (in_executive, "k0", "cadence_id", "Executive"),
        (in_executive, "k1", "status", "moved"),
        (back_in_nurture, "k1", "cadence_id", "Nurture"),
    ]
    assert {key: value for key, value in states(after).items() if value[0] == "p3"} == {
        "m5": ("p3", "Nurture", "moved", 1),
        in_executive: ("p3", "Executive", "moved", 1),
        back_in_nurture: ("p3", "Nurture", "active", 1),
    }
    assert plan_cadence_actions(run, after, log).empty


def test_one_run_of_two_moves_leaves_what_a_run_per_move_leaves():
    before = memberships(("m0", "p1", "Inbound", 1, "active"), ("m1", "p3", "Executive", 1, "active"))
    run = matches(("p3", "k0", TO_NURTURE), ("p3", "k2", TO_EXECUTIVE))
    at_once, _ = apply_cadence_actions(before, plan_cadence_actions(run, before, ()), NOW)
    first, first_log = apply_cadence_actions(before, plan_cadence_actions(run.iloc[:1], before, ()), NOW)
    one_by_one, _ = apply_cadence_actions(first, plan_cadence_actions(run.iloc[1:], first, first_log), NOW)
    in_nurture = moved_membership_id("m1", "k0")
    back_in_executive = moved_membership_id(in_nurture, "k2")
    expected = {
        "m0": ("p1", "Inbound", "active", 1),
        "m1": ("p3", "Executive", "moved", 1),
        in_nurture: ("p3", "Nurture", "moved", 1),
        back_in_executive: ("p3", "Executive", "active", 1),
    }
    assert states(at_once) == expected
    assert states(one_by_one) == expected


def test_a_change_that_moved_nothing_does_not_act_when_evaluated_again_after_a_later_change_moved():
    before = memberships(*SIX_MEMBERSHIPS, ("m5", "p3", "Executive", 1, "active"))
    run = matches(("p3", "k0", TO_EXECUTIVE), ("p3", "k1", TO_NURTURE))
    actions = plan_cadence_actions(run, before, ())
    after, log = apply_cadence_actions(before, actions, NOW)
    assert planned(actions) == [("m5", "k1", "w3")]
    assert logged(log) == [("m5", "k1", "status", "moved"),
                           (moved_membership_id("m5", "k1"), "k1", "cadence_id", "Nurture")]
    assert plan_cadence_actions(run, after, log).empty


def test_a_change_before_one_of_the_prospect_that_has_acted_acts_no_more_and_one_after_it_does():
    members = memberships(("m1", "p1", "Inbound", 2, "active"), ("m2", "p2", "Inbound", 2, "active"))
    run = matches(("p1", "k0", NEXT_TOUCH), ("p2", "k5", NEXT_TOUCH), ("p1", "k1", NEXT_TOUCH),
                  ("p1", "k2", NEXT_TOUCH))
    assert planned(plan_cadence_actions(run, members, {("m1", "k1", "w0")})) == [
        ("m2", "k5", "w0"), ("m1", "k2", "w0"),
    ]


def test_a_later_move_into_the_cadence_of_a_membership_no_earlier_change_moved_does_nothing():
    members = memberships(("m1", "p1", "Nurture", 2, "active"))
    run = matches(("p1", "k0", NEXT_TOUCH), ("p1", "k1", TO_NURTURE))
    assert planned(plan_cadence_actions(run, members, ())) == [("m1", "k0", "w0")]
