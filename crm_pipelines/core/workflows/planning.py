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
    - Moving a membership into the cadence it is already in does nothing.
    - Once per change: a change that has already acted on a prospect (it is in `already_applied`
      for any of the prospect's memberships, including one a move or an exit has closed since)
      acts on it no more, so evaluating the same change twice changes nothing the second time.
      A new change_key for the same record is a new change and acts again.
    - Actions come in the order of `matches` (by change, then by workflow), memberships of one
      prospect in their order; apply_cadence_actions applies them in that order.

    `memberships` holds the prospects' cadence memberships of every status, so that an applied
    action recorded against a membership since closed still finds its prospect.
    """
    active = np.flatnonzero(memberships["status"].eq("active").fillna(False).to_numpy(dtype=bool))
    (match_prospect, member_prospect), prospects = shared_codes(
        matches["prospect_id"], memberships["prospect_id"].iloc[active]
    )
    match_rows, member_at = one_to_many(match_prospect, member_prospect, len(prospects))
    member_rows = active[member_at]
    change, changes = pd.factorize(matches["change_key"])
    position = matches["workflow_position"].to_numpy(dtype=np.int64)

    keep = _first_in_configured_order(member_rows, change[match_rows], position[match_rows], len(changes))
    match_rows, member_rows = match_rows[keep], member_rows[keep]
    keep = ~_moves_into_own_cadence(matches, memberships, match_rows, member_rows)
    match_rows, member_rows = match_rows[keep], member_rows[keep]
    applied = _applied_frame(already_applied)
    if len(applied):
        keep = ~_already_applied(applied, memberships, match_rows, member_rows,
                                 (match_prospect[match_rows], prospects), (change[match_rows], changes))
        match_rows, member_rows = match_rows[keep], member_rows[keep]

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


def _moves_into_own_cadence(
    matches: pd.DataFrame, memberships: pd.DataFrame, match_rows: np.ndarray, member_rows: np.ndarray
) -> np.ndarray:
    actions = matches["action"].take(match_rows)
    moves = np.flatnonzero(actions.eq("move_to_cadence").fillna(False).to_numpy(dtype=bool))
    target = matches["target_cadence"].take(match_rows[moves]).astype("str").reset_index(drop=True)
    current = memberships["cadence_id"].take(member_rows[moves]).astype("str").reset_index(drop=True)
    stays = np.zeros(len(match_rows), dtype=bool)
    stays[moves] = target.eq(current).fillna(False).to_numpy(dtype=bool)
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


def _already_applied(
    applied: pd.DataFrame,
    memberships: pd.DataFrame,
    match_rows: np.ndarray,
    member_rows: np.ndarray,
    prospect: tuple[np.ndarray, pd.Index],
    change: tuple[np.ndarray, pd.Index],
) -> np.ndarray:
    """Where a candidate's change has already acted on its prospect (or, when the applied action's
    prospect is unknown, on its membership)."""
    change_codes, changes = change
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
    prospect_codes, prospects = prospect
    applied_prospect_codes = codes_in(applied_prospect, prospects)
    seen |= np.isin(
        prospect_codes.astype(np.int64) * len(changes) + change_codes,
        applied_prospect_codes[applied_prospect_codes >= 0].astype(np.int64) * len(changes)
        + applied_change[applied_prospect_codes >= 0],
    )
    unresolved = applied.loc[applied_prospect.isna().to_numpy(dtype=bool)]
    if len(unresolved):
        member_ids = memberships["membership_id"].take(member_rows).reset_index(drop=True)
        key = pd.MultiIndex.from_arrays([member_ids, pd.Series(changes.take(change_codes))])
        seen |= key.isin(pd.MultiIndex.from_frame(unresolved[["membership_id", "change_key"]]))
    return seen
