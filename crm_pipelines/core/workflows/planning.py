"""W3: which cadence memberships each match acts on, once per change."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from crm_pipelines.core.workflows.joins import codes_in, one_to_many, shared_codes

ACTION_COLUMNS = (
    "membership_id", "prospect_id", "cadence_id", "action", "target_cadence", "workflow", "change_key", "reason",
)
"""One row per action to apply, in the order to apply them."""

AppliedSet = pd.DataFrame | Collection[tuple[str, str, str]]
"""Actions applied by earlier runs: a frame with membership_id and change_key (workflow and
prospect_id may be there too), or (membership_id, change_key, workflow) tuples."""


def plan_cadence_actions(
    matches: pd.DataFrame, memberships: pd.DataFrame, already_applied: AppliedSet
) -> pd.DataFrame:
    """The actions that `matches` (from evaluate_workflows) call for on the prospects' active memberships.

    - A match acts on every active membership of its prospect.
    - When several workflows match one membership for one change, the first in configured order
      (lowest workflow_position) wins and the others do nothing; no action outranks another, an
      exit included.
    - Moving a membership into the cadence it is already in does nothing. A membership an earlier
      change of this run moves is, for the later changes, in the cadence it moved to: their moves
      stay planned and apply_cadence_actions, which follows it there, judges them.
    - Once per change: a change that has already acted on a prospect (it is in `already_applied`
      for any of the prospect's memberships, including one a move or an exit has closed since)
      acts on it no more, so evaluating the same change twice changes nothing the second time.
      A new change_key for the same record is a new change and acts again.
    - A prospect's changes take their turns in order, so a change that comes before one of the
      prospect's changes that has already acted has had its turn too, and acts no more. (It may
      have done nothing then, a move into the cadence the membership was in, which leaves no trace
      in `already_applied`: acting now, after the later change, would apply them out of order.)
    - Actions come in the order of `matches` (by change, then by workflow), memberships of one
      prospect in their order; apply_cadence_actions applies them in that order.

    `memberships` holds the prospects' cadence memberships of every status, so that an applied
    action recorded against a membership since closed still finds its prospect.
    """
    (match_prospect, prospects), (match_rows, member_rows) = _active_memberships_of_matches(matches, memberships)
    change, changes = pd.factorize(matches["change_key"])
    position = matches["workflow_position"].to_numpy(dtype=np.int64)

    turns = _Turns(match_prospect, change, len(changes))

    keep = _first_in_configured_order(member_rows, change[match_rows], position[match_rows], len(changes))
    match_rows, member_rows = match_rows[keep], member_rows[keep]
    applied = _applied_frame(already_applied)
    if len(applied):
        keep = ~_had_its_turn(applied, memberships, match_rows, member_rows,
                              (match_prospect, prospects), (change, changes), turns)
        match_rows, member_rows = match_rows[keep], member_rows[keep]
    # after the applied filter: a change that acted in an earlier run moves nothing in this one
    keep = ~_moves_that_stay(matches, memberships, match_rows, member_rows, turns.of_match[match_rows])
    match_rows, member_rows = match_rows[keep], member_rows[keep]
    return _action_rows(matches, memberships, match_rows, member_rows)


def _active_memberships_of_matches(
    matches: pd.DataFrame, memberships: pd.DataFrame
) -> tuple[tuple[np.ndarray, pd.Index], tuple[np.ndarray, np.ndarray]]:
    """Each match's prospect code (with the prospects coded), and every (match row, membership
    row) pair of a match and an active membership of its prospect."""
    active = np.flatnonzero(memberships["status"].eq("active").fillna(False).to_numpy(dtype=bool))
    (match_prospect, member_prospect), prospects = shared_codes(
        matches["prospect_id"], memberships["prospect_id"].iloc[active]
    )
    match_rows, member_at = one_to_many(match_prospect, member_prospect, len(prospects))
    return (match_prospect, prospects), (match_rows, active[member_at])


def _action_rows(matches: pd.DataFrame, memberships: pd.DataFrame, match_rows: np.ndarray,
                 member_rows: np.ndarray) -> pd.DataFrame:
    """ACTION_COLUMNS, one row per (match, membership) pair planned."""

    def of_matches(column: str) -> pd.Series:
        return matches[column].take(match_rows).reset_index(drop=True)

    def of_memberships(column: str) -> pd.Series:
        return memberships[column].take(member_rows).reset_index(drop=True)

    return pd.DataFrame({
        "membership_id": of_memberships("membership_id"),
        "prospect_id": of_matches("prospect_id"),
        "cadence_id": of_memberships("cadence_id"),
        "action": of_matches("action"),
        "target_cadence": of_matches("target_cadence"),
        "workflow": of_matches("workflow"),
        "change_key": of_matches("change_key"),
        "reason": of_matches("reason"),
    }, columns=list(ACTION_COLUMNS))


def _first_in_configured_order(
    member: np.ndarray, change: np.ndarray, position: np.ndarray, changes: int
) -> np.ndarray:
    """Where a candidate is the first workflow in configured order for its membership and change."""
    group = member.astype(np.int64) * max(changes, 1) + change
    order = np.lexsort((position, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    keep = np.zeros(len(order), dtype=bool)
    keep[order[first]] = True
    return keep


class _Turns:
    """Each match's turn in the run: its (prospect, change) pair, numbered in order of first
    appearance, the order apply_cadence_actions takes a prospect's changes in."""

    def __init__(self, prospect: np.ndarray, change: np.ndarray, changes: int) -> None:
        self._changes = changes
        self.of_match, pairs = pd.factorize(self.pair(prospect, change))
        self._pairs = pd.Index(pairs)

    def pair(self, prospect: np.ndarray, change: np.ndarray) -> np.ndarray:
        return prospect.astype(np.int64) * (self._changes + 1) + (change.astype(np.int64) + 1)

    def of_pairs(self, prospect: np.ndarray, change: np.ndarray) -> np.ndarray:
        """The turns of (prospect, change) pairs; -1 for a pair no match has."""
        return self._pairs.get_indexer(self.pair(prospect, change))


def _moves_that_stay(
    matches: pd.DataFrame, memberships: pd.DataFrame, match_rows: np.ndarray, member_rows: np.ndarray,
    turn: np.ndarray,
) -> np.ndarray:
    """Where a candidate moves its membership into the cadence it will be in when the move applies.

    That is its own cadence unless an earlier change of this run moves it elsewhere first: then
    apply_cadence_actions follows it to where it went and judges the move there, so it stays planned.
    """
    actions = matches["action"].take(match_rows)
    moves = np.flatnonzero(actions.eq("move_to_cadence").fillna(False).to_numpy(dtype=bool))
    target = matches["target_cadence"].take(match_rows[moves]).astype("str").reset_index(drop=True)
    current = memberships["cadence_id"].take(member_rows[moves]).astype("str").reset_index(drop=True)
    into_own = target.eq(current).fillna(False).to_numpy(dtype=bool)
    away = moves[~into_own]
    first_move_away = np.full(len(memberships), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_move_away, member_rows[away], turn[away])
    stays = np.zeros(len(match_rows), dtype=bool)
    own = moves[into_own]
    stays[own] = turn[own] <= first_move_away[member_rows[own]]
    return stays


def _applied_frame(already_applied: AppliedSet) -> pd.DataFrame:
    if isinstance(already_applied, pd.DataFrame):
        applied = already_applied
    else:
        applied = pd.DataFrame(list(already_applied), columns=["membership_id", "change_key", "workflow"])
    missing = {"membership_id", "change_key"} - set(applied.columns)
    if missing:
        raise KeyError(f"the applied actions lack the column(s) {', '.join(sorted(missing))}")
    return applied


def _had_its_turn(
    applied: pd.DataFrame,
    memberships: pd.DataFrame,
    match_rows: np.ndarray,
    member_rows: np.ndarray,
    prospect: tuple[np.ndarray, pd.Index],
    change: tuple[np.ndarray, pd.Index],
    turns: _Turns,
) -> np.ndarray:
    """Where a candidate's change, or a later change of its prospect in this run, has already acted
    on the prospect (or, when the applied action's prospect is unknown, its change on its membership)."""
    match_prospect, prospects = prospect
    match_change, changes = change
    applied_change = codes_in(applied["change_key"], changes)
    applied, applied_change = applied.loc[applied_change >= 0], applied_change[applied_change >= 0]
    seen = np.zeros(len(match_rows), dtype=bool)
    if applied.empty:
        return seen
    if "prospect_id" in applied.columns:
        applied_prospect = applied["prospect_id"]
    else:
        prospect_of = pd.Series(
            memberships["prospect_id"].to_numpy(), index=memberships["membership_id"].to_numpy()
        )
        applied_prospect = applied["membership_id"].map(prospect_of)
    applied_prospect_codes = codes_in(applied_prospect, prospects)
    known = applied_prospect_codes >= 0
    applied_turn = turns.of_pairs(applied_prospect_codes[known], applied_change[known])
    last_acted = np.full(len(prospects), -1, dtype=np.int64)
    np.maximum.at(last_acted, applied_prospect_codes[known], applied_turn)
    seen |= turns.of_match[match_rows] <= last_acted[match_prospect[match_rows]]
    unresolved = applied.loc[applied_prospect.isna().to_numpy(dtype=bool)]
    if len(unresolved):
        member_ids = memberships["membership_id"].take(member_rows).reset_index(drop=True)
        key = pd.MultiIndex.from_arrays([member_ids, pd.Series(changes.take(match_change[match_rows]))])
        seen |= key.isin(pd.MultiIndex.from_frame(unresolved[["membership_id", "change_key"]]))
    return seen
