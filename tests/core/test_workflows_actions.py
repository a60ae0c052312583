"""W1, W3, F8: planning actions on cadence memberships, once per change, and applying them with a log."""

import uuid

import pandas as pd
import pytest

from crm_pipelines.core.workflows import (
    ACTION_COLUMNS,
    LOG_COLUMNS,
    apply_cadence_actions,
    evaluate_workflows,
    moved_membership_id,
    plan_cadence_actions,
)
from tests.core.workflow_fixtures import FIELDS, NOW, memberships, workflow

MEMBERSHIPS = memberships(
    ("m1", "p1", "Nurture", 2, "active"),
    ("m2", "p1", "Events", 5, "active"),
    ("m3", "p1", "Old", 4, "exited"),
    ("m4", "p2", "Nurture", 1, "active"),
    ("m5", "p3", "Executive", 3, "active"),
)

DISQUALIFIED = {"field": "status", "operator": "equals", "value": "Disqualified"}
VP = {"field": "title", "operator": "contains", "value": "VP"}
EXIT = workflow("dq exits", criteria=[DISQUALIFIED], action="exit_cadence")
MOVE = workflow("vp to exec", criteria=[VP], action="move_to_cadence", target_cadence="Executive")
STEP = workflow("vp next touch", criteria=[VP], action="next_touch")


def changes(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(prospect_id, change_key, status, title) of changed Leads."""
    frame = pd.DataFrame(list(rows), columns=["prospect_id", "change_key", "status", "title"])
    return frame.assign(record_type="Lead")


def plan(change_rows: pd.DataFrame, workflows, members=MEMBERSHIPS, applied=()) -> pd.DataFrame:
    return plan_cadence_actions(evaluate_workflows(change_rows, workflows, FIELDS), members, applied)


def acted(actions: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(zip(actions["membership_id"], actions["action"], actions["change_key"], strict=True))


def state(members: pd.DataFrame, membership_id: str) -> tuple[str, str, int]:
    row = members.set_index("membership_id").loc[membership_id]
    return row["cadence_id"], row["status"], int(row["current_touch"])


P2_DISQUALIFIED = changes(("p2", "k1", "Disqualified", "Analyst"))
P2_VP = changes(("p2", "k1", "Working", "VP Sales"))


def test_exit_cadence_sets_the_membership_exited_and_logs_the_old_and_new_status():
    actions = plan(P2_DISQUALIFIED, [EXIT])
    after, log = apply_cadence_actions(MEMBERSHIPS, actions, NOW)
    assert state(after, "m4") == ("Nurture", "exited", 1)
    assert after.set_index("membership_id").loc["m4", "updated_at"] == NOW
    assert log.to_dict("records") == [{
        "membership_id": "m4", "prospect_id": "p2", "field": "status", "old_value": "active", "new_value": "exited",
        "reason": "workflow 'dq exits': status equals 'Disqualified'", "workflow": "dq exits", "change_key": "k1",
        "action": "exit_cadence",
    }]


def test_move_to_cadence_closes_the_membership_and_opens_one_in_the_target_at_touch_one():
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [MOVE]), NOW)
    new_id = moved_membership_id("m4", "k1")
    assert state(after, "m4") == ("Nurture", "moved", 1)
    assert state(after, new_id) == ("Executive", "active", 1)
    assert after.set_index("membership_id").loc[new_id, "prospect_id"] == "p2"
    assert list(zip(log["membership_id"], log["field"], log["old_value"], log["new_value"], strict=True)) == [
        ("m4", "status", "active", "moved"),
        (new_id, "cadence_id", "Nurture", "Executive"),
    ]


def test_next_touch_advances_the_current_touch_by_one():
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [STEP]), NOW)
    assert state(after, "m4") == ("Nurture", "active", 2)
    assert log[["field", "old_value", "new_value"]].values.tolist() == [["current_touch", "1", "2"]]


def test_untouched_memberships_keep_their_values():
    after, _ = apply_cadence_actions(MEMBERSHIPS, plan(P2_DISQUALIFIED, [EXIT]), NOW)
    unchanged = after.loc[after["membership_id"] != "m4"].reset_index(drop=True)
    others = MEMBERSHIPS.loc[MEMBERSHIPS["membership_id"] != "m4"].reset_index(drop=True)
    pd.testing.assert_frame_equal(unchanged, others)


def test_a_match_acts_on_every_active_membership_of_the_prospect_and_no_other():
    actions = plan(changes(("p1", "k1", "Disqualified", "")), [EXIT])
    assert list(actions.columns) == list(ACTION_COLUMNS)
    assert acted(actions) == [("m1", "exit_cadence", "k1"), ("m2", "exit_cadence", "k1")]


def test_the_first_matching_workflow_in_configured_order_wins_even_over_an_exit():
    actions = plan(changes(("p2", "k1", "Disqualified", "VP")), [STEP, EXIT])
    assert acted(actions) == [("m4", "next_touch", "k1")]


def test_an_exit_listed_first_wins_over_a_move():
    actions = plan(changes(("p2", "k1", "Disqualified", "VP")), [EXIT, MOVE])
    assert acted(actions) == [("m4", "exit_cadence", "k1")]


def test_a_move_into_the_cadence_the_membership_is_in_does_nothing():
    assert plan(changes(("p3", "k1", "Working", "VP")), [MOVE]).empty


def test_a_move_into_a_cadence_the_prospect_is_active_in_opens_no_second_membership():
    members = pd.concat([MEMBERSHIPS, memberships(("m6", "p2", "Executive", 2, "active"))], ignore_index=True)
    after, log = apply_cadence_actions(members, plan(P2_VP, [MOVE], members), NOW)
    assert state(after, "m4") == ("Nurture", "moved", 1)
    assert len(after) == len(members)
    assert log["field"].tolist() == ["status"]


def test_two_memberships_moved_to_one_cadence_open_one_membership_there():
    after, _ = apply_cadence_actions(MEMBERSHIPS, plan(changes(("p1", "k1", "", "VP")), [MOVE]), NOW)
    assert state(after, "m1")[1] == state(after, "m2")[1] == "moved"
    still_active = after.loc[after["prospect_id"].eq("p1") & after["status"].eq("active")]
    assert still_active["cadence_id"].tolist() == ["Executive"]


def test_a_change_planned_again_with_what_was_applied_plans_nothing():
    rows = changes(("p1", "k1", "Working", "VP"), ("p2", "k2", "Disqualified", ""), ("p3", "k3", "", "VP"))
    workflows = [EXIT, STEP]
    first = plan(rows, workflows)
    after, log = apply_cadence_actions(MEMBERSHIPS, first, NOW)
    assert acted(first) == [("m1", "next_touch", "k1"), ("m2", "next_touch", "k1"), ("m4", "exit_cadence", "k2"),
                            ("m5", "next_touch", "k3")]
    assert plan(rows, workflows, after, log[["membership_id", "change_key", "workflow"]]).empty


def test_a_move_evaluated_again_for_the_same_change_moves_nothing():
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [STEP, MOVE]), NOW)
    again = plan(P2_VP, [MOVE, STEP], after, log[["membership_id", "change_key", "workflow"]])
    assert again.empty


def test_the_planned_actions_themselves_serve_as_the_applied_set():
    first = plan(P2_VP, [MOVE])
    after, _ = apply_cadence_actions(MEMBERSHIPS, first, NOW)
    assert plan(P2_VP, [STEP], after, first[["membership_id", "change_key", "workflow"]]).empty


def test_a_change_already_applied_to_a_membership_since_closed_acts_on_no_new_one():
    # the prospect was enrolled in a new cadence after the change had exited it from another one
    members = pd.concat([MEMBERSHIPS, memberships(("m7", "p2", "Events", 1, "active"))], ignore_index=True)
    members.loc[members["membership_id"] == "m4", "status"] = "exited"
    assert plan(P2_DISQUALIFIED, [EXIT], members, {("m4", "k1", "dq exits")}).empty


def test_a_new_change_of_the_same_record_acts_again():
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [STEP]), NOW)
    again = plan(changes(("p2", "k2", "Working", "VP Sales")), [STEP], after, log)
    after_again, _ = apply_cadence_actions(after, again, NOW)
    assert acted(again) == [("m4", "next_touch", "k2")]
    assert state(after_again, "m4") == ("Nurture", "active", 3)


def test_applied_actions_may_be_given_as_tuples():
    assert plan(P2_VP, [STEP], applied={("m4", "k1", "vp next touch")}).empty


def test_a_membership_takes_actions_of_several_changes_in_order_until_one_exits_it():
    rows = pd.concat([
        changes(("p2", "k1", "Working", "VP")).assign(record_type="Contact"),
        changes(("p2", "k2", "Disqualified", "")),
        changes(("p2", "k3", "Working", "VP")),
    ], ignore_index=True)
    contact_step = workflow("contact vp", "Contact", [VP], action="next_touch")
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(rows, [contact_step, EXIT, STEP]), NOW)
    assert state(after, "m4") == ("Nurture", "exited", 2)
    assert list(zip(log["change_key"], log["field"], log["new_value"], strict=True)) == [
        ("k1", "current_touch", "2"), ("k2", "status", "exited"),
    ]


def test_an_action_of_a_later_change_follows_a_membership_an_earlier_change_moved():
    rows = pd.concat([
        changes(("p2", "k1", "Working", "VP")),
        changes(("p2", "k2", "Working", "VP")).assign(record_type="Contact"),
    ], ignore_index=True)
    contact_step = workflow("contact vp", "Contact", [VP], action="next_touch")
    after, log = apply_cadence_actions(MEMBERSHIPS, plan(rows, [MOVE, contact_step]), NOW)
    new_id = moved_membership_id("m4", "k1")
    assert state(after, new_id) == ("Executive", "active", 2)
    assert list(zip(log["membership_id"], log["change_key"], log["field"], log["new_value"], strict=True)) == [
        ("m4", "k1", "status", "moved"),
        (new_id, "k1", "cadence_id", "Executive"),
        (new_id, "k2", "current_touch", "2"),
    ]
    assert plan(rows, [MOVE, contact_step], after, log).empty


def test_actions_on_memberships_no_longer_active_are_not_applied():
    actions = plan(P2_DISQUALIFIED, [EXIT])
    closed = MEMBERSHIPS.assign(status=MEMBERSHIPS["status"].where(MEMBERSHIPS["membership_id"] != "m4", "completed"))
    after, log = apply_cadence_actions(closed, actions, NOW)
    pd.testing.assert_frame_equal(after, closed)
    assert log.empty and list(log.columns) == list(LOG_COLUMNS)


def test_the_same_move_of_the_same_change_always_opens_the_same_membership_id():
    first, _ = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [MOVE]), NOW)
    second, _ = apply_cadence_actions(MEMBERSHIPS, plan(P2_VP, [MOVE]), NOW + pd.Timedelta(hours=1))
    assert first["membership_id"].tolist() == second["membership_id"].tolist()
    assert moved_membership_id("m4", "k1") != moved_membership_id("m4", "k2")


def test_a_moved_membership_id_is_the_uuid5_of_the_old_id_and_the_change_key():
    namespace = uuid.UUID("5b0f3c2e-8d1a-4f61-9a53-0c6f2d7e4a19")
    assert moved_membership_id("m4", "00Q1@t1") == str(uuid.uuid5(namespace, "m4\x1f00Q1@t1"))


def test_an_action_on_an_unknown_membership_is_refused_naming_it():
    actions = plan(P2_DISQUALIFIED, [EXIT]).assign(membership_id="m404")
    with pytest.raises(KeyError, match="m404"):
        apply_cadence_actions(MEMBERSHIPS, actions, NOW)


def test_the_winner_is_the_lowest_workflow_position_whatever_the_row_order():
    matches = pd.DataFrame({
        "prospect_id": ["p2", "p2"], "change_key": ["k1", "k1"], "workflow": ["later", "earlier"],
        "action": ["exit_cadence", "next_touch"], "target_cadence": [None, None], "workflow_position": [3, 1],
        "reason": ["workflow 'later': x", "workflow 'earlier': y"],
    })
    assert acted(plan_cadence_actions(matches, MEMBERSHIPS, ())) == [("m4", "next_touch", "k1")]


def test_no_matches_plan_no_actions_and_apply_changes_nothing():
    actions = plan(changes(("p2", "k1", "Working", "Analyst")), [EXIT, STEP])
    assert actions.empty and list(actions.columns) == list(ACTION_COLUMNS)
    after, log = apply_cadence_actions(MEMBERSHIPS, actions, NOW)
    pd.testing.assert_frame_equal(after, MEMBERSHIPS)
    assert log.empty and list(log.columns) == list(LOG_COLUMNS)


def test_applying_at_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        apply_cadence_actions(MEMBERSHIPS, plan(P2_DISQUALIFIED, [EXIT]), pd.Timestamp("2024-07-01T12:00:00"))
