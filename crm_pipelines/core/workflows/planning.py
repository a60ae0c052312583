"""W3: which cadence memberships each match acts on, once per change."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

ACTION_COLUMNS = (
    "membership_id", "prospect_id", "cadence_id", "action", "target_cadence", "workflow", "change_key", "reason",
)
"""One row per action to apply, in the order to apply them."""

AppliedSet = pd.DataFrame | Collection[tuple[str, str, str]]
"""Actions applied by earlier runs: a frame with membership_id, change_key and workflow (and
prospect_id when known), or (membership_id, change_key, workflow) tuples."""


def plan_cadence_actions(matches: pd.DataFrame, memberships: pd.DataFrame, already_applied: AppliedSet) -> pd.DataFrame:
    """The actions that `matches` (from evaluate_workflows) call for on the prospects' active memberships.

    - A match acts on every active membership of its prospect.
    - When several workflows match one membership for one change, the first in configured order
      wins and the others do nothing; no action outranks another, an exit included.
    - Moving a membership into the cadence it is already in does nothing.
    - Once per change: a change that has already acted on a prospect (it is in `already_applied`
      for any of the prospect's memberships, including one a move has closed) acts on it no more,
      so evaluating the same change twice, or after a move, changes nothing the second time. A
      new change_key for the same record is a new change and acts again.
    - Actions are ordered by change (the order changes first appear in `matches`), then by
      workflow; apply_cadence_actions applies them in that order.

    `memberships` is the prospects' cadence memberships of every status, so that applied
    actions recorded against a membership a move has since closed still count.
    """
    active = memberships.loc[
        memberships["status"].eq("active").fillna(False).to_numpy(dtype=bool),
        ["membership_id", "prospect_id", "cadence_id"],
    ]
    ordered = matches.loc[matches["prospect_id"].notna().to_numpy(dtype=bool)].assign(
        change_order=lambda m: m.groupby("change_key", sort=False).ngroup()
    )
    candidates = ordered.merge(active, on="prospect_id", how="inner")
    candidates = candidates.iloc[np.lexsort((
        candidates["workflow_position"].to_numpy(), candidates["change_order"].to_numpy(),
    ))]
    winners = candidates.drop_duplicates(["membership_id", "change_key"], keep="first")
    stays = (winners["action"] == "move_to_cadence") & (winners["target_cadence"] == winners["cadence_id"])
    winners = winners.loc[~stays.fillna(False).to_numpy(dtype=bool)]
    winners = winners.loc[~_already_applied(winners, _applied_frame(already_applied, memberships))]
    return winners.loc[:, list(ACTION_COLUMNS)].reset_index(drop=True)


def _applied_frame(already_applied: AppliedSet, memberships: pd.DataFrame) -> pd.DataFrame:
    if isinstance(already_applied, pd.DataFrame):
        applied = already_applied
    else:
        applied = pd.DataFrame(list(already_applied), columns=["membership_id", "change_key", "workflow"])
    missing = {"membership_id", "change_key"} - set(applied.columns)
    if missing:
        raise KeyError(f"the applied actions lack the column(s) {', '.join(sorted(missing))}")
    if "prospect_id" not in applied.columns:
        prospect_of = pd.Series(memberships["prospect_id"].to_numpy(), index=memberships["membership_id"].to_numpy())
        applied = applied.assign(prospect_id=applied["membership_id"].map(prospect_of))
    return applied


def _already_applied(candidates: pd.DataFrame, applied: pd.DataFrame) -> np.ndarray:
    if applied.empty or candidates.empty:
        return np.zeros(len(candidates), dtype=bool)
    seen = np.zeros(len(candidates), dtype=bool)
    for key in ("membership_id", "prospect_id"):
        done = applied.loc[applied[key].notna(), [key, "change_key"]].drop_duplicates()
        if not done.empty:
            seen |= pd.MultiIndex.from_frame(candidates[[key, "change_key"]]).isin(pd.MultiIndex.from_frame(done))
    return seen
