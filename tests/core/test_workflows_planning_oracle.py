"""Planning and applying agree with a plain reading of W3's rules on random memberships and matches."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipelines.core.workflows import apply_cadence_actions, plan_cadence_actions
from tests.core.workflow_fixtures import NOW, memberships

PROSPECTS = ["p1", "p2", "p3", "p4"]
CADENCES = ["Inbound", "Nurture", "Executive"]
WORKFLOWS = [  # (action, target) by position
    ("next_touch", None), ("exit_cadence", None), ("move_to_cadence", "Executive"), ("move_to_cadence", "Nurture"),
]


def plan_oracle(matches: list[dict[str, Any]], members: list[tuple], applied: set[tuple[str, str]]) -> list[tuple]:
    prospect_of = {m[0]: m[1] for m in members}
    done = {(prospect_of.get(mid), key) for mid, key in applied}
    turns = list(dict.fromkeys((match["prospect_id"], match["change_key"]) for match in matches))

    def had_its_turn(prospect: str, change: str) -> bool:
        """This change, or a later one of the prospect, has acted: a prospect's changes go in order."""
        later = turns[turns.index((prospect, change)):]
        return any(turn in done for turn in later if turn[0] == prospect)

    winner: dict[tuple[str, str], tuple[int, int]] = {}  # (membership, change) -> (position, match row)
    candidates = []
    for row, match in enumerate(matches):
        for membership_id, prospect, cadence, _, status in members:
            if prospect != match["prospect_id"] or status != "active":
                continue
            candidates.append((row, membership_id, cadence))
            key = (membership_id, match["change_key"])
            if key not in winner or match["workflow_position"] < winner[key][0]:
                winner[key] = (match["workflow_position"], row)
    planned = []
    moved_by_earlier_change = set()  # the matches come change by change
    for row, membership_id, cadence in candidates:
        match = matches[row]
        if winner[(membership_id, match["change_key"])][1] != row:
            continue
        if had_its_turn(match["prospect_id"], match["change_key"]):
            continue
        moves = match["action"] == "move_to_cadence"
        # a membership an earlier change moved is elsewhere by now: applying follows it and judges there
        if moves and match["target_cadence"] == cadence and membership_id not in moved_by_earlier_change:
            continue
        planned.append((membership_id, match["change_key"], match["workflow"]))
        if moves:
            moved_by_earlier_change.add(membership_id)
    return planned


@st.composite
def membership_rows(draw: st.DrawFn) -> list[tuple]:
    pairs = draw(st.lists(st.tuples(st.sampled_from(PROSPECTS), st.sampled_from(CADENCES)), max_size=8, unique=True))
    return [
        (f"m{i}", prospect, cadence, draw(st.integers(1, 5)), draw(st.sampled_from(["active", "active", "exited"])))
        for i, (prospect, cadence) in enumerate(pairs)
    ]


@st.composite
def match_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for change in range(draw(st.integers(0, 4))):
        prospect = draw(st.sampled_from(PROSPECTS))
        for position in sorted(draw(st.sets(st.integers(0, len(WORKFLOWS) - 1), max_size=3))):
            action, target = WORKFLOWS[position]
            rows.append({"prospect_id": prospect, "change_key": f"k{change}", "workflow": f"w{position}",
                         "action": action, "target_cadence": target, "workflow_position": position,
                         "reason": f"workflow 'w{position}'"})
    return rows


def as_matches(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["prospect_id", "change_key", "workflow", "action", "target_cadence",
                                       "workflow_position", "reason"]).astype({"workflow_position": "int64"})


@settings(max_examples=150, deadline=None)
@given(members=membership_rows(), matches=match_rows(), data=st.data())
def test_planning_equals_a_plain_reading_of_the_rules(members, matches, data):
    applied = data.draw(st.sets(st.tuples(st.sampled_from([m[0] for m in members] or ["m0"]),
                                          st.sampled_from(["k0", "k1", "k9"])), max_size=3))
    planned = plan_cadence_actions(as_matches(matches), memberships(*members), {(m, k, "w") for m, k in applied})
    assert list(zip(planned["membership_id"], planned["change_key"], planned["workflow"], strict=True)) == plan_oracle(
        matches, members, applied
    )


@settings(max_examples=150, deadline=None)
@given(members=membership_rows(), matches=match_rows())
def test_what_was_applied_is_never_planned_again(members, matches):
    before = memberships(*members)
    after, log = apply_cadence_actions(before, plan_cadence_actions(as_matches(matches), before, ()), NOW)
    assert plan_cadence_actions(as_matches(matches), after, log).empty
    assert after["membership_id"].is_unique
    active = after.loc[after["status"] == "active"]
    assert not active.duplicated(["prospect_id", "cadence_id"]).any()


@settings(max_examples=100, deadline=None)
@given(members=membership_rows(), matches=match_rows())
def test_one_run_gives_what_running_the_changes_one_at_a_time_would(members, matches):
    before = memberships(*members)
    at_once, _ = apply_cadence_actions(before, plan_cadence_actions(as_matches(matches), before, ()), NOW)
    one_by_one, applied = before, pd.DataFrame(columns=["membership_id", "prospect_id", "change_key", "workflow"])
    for change in dict.fromkeys(match["change_key"] for match in matches):
        step = as_matches([match for match in matches if match["change_key"] == change])
        one_by_one, log = apply_cadence_actions(one_by_one, plan_cadence_actions(step, one_by_one, applied), NOW)
        applied = pd.concat([applied, log[applied.columns]], ignore_index=True)
    pd.testing.assert_frame_equal(at_once.sort_values("membership_id", ignore_index=True),
                                  one_by_one.sort_values("membership_id", ignore_index=True))
