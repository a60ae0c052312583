"""W1, W3, F8: the planned actions applied to cadence memberships, with a log of every value changed."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import numpy as np
import pandas as pd

LOG_COLUMNS = (
    "membership_id", "prospect_id", "field", "old_value", "new_value", "reason", "workflow", "change_key", "action",
)
"""One row per membership value changed: the connector log's entry (F8). Values are text."""

TERMINAL_ACTIONS = ("exit_cadence", "move_to_cadence")

_MOVED_MEMBERSHIPS = uuid.UUID("5b0f3c2e-8d1a-4f61-9a53-0c6f2d7e4a19")
"""Namespace of the ids of memberships created by moves; fixed, so a replay derives the same id."""


class AppliedActions(NamedTuple):
    memberships: pd.DataFrame
    """Every membership after the actions: changed ones with updated_at = now, new ones appended."""
    log: pd.DataFrame
    """LOG_COLUMNS. Its (membership_id, change_key, workflow) rows are the actions to record as
    applied; they include the memberships that moves created."""


def moved_membership_id(membership_id: str, change_key: str) -> str:
    """The id of the membership a move creates: the same move of the same change always gets the same id."""
    return str(uuid.uuid5(_MOVED_MEMBERSHIPS, f"{membership_id}\x1f{change_key}"))


def apply_cadence_actions(memberships: pd.DataFrame, actions: pd.DataFrame, now: pd.Timestamp) -> AppliedActions:
    """Apply `actions` (from plan_cadence_actions, in its order) to `memberships`.

    - exit_cadence: the membership's status becomes "exited".
    - move_to_cadence: its status becomes "moved", and the prospect gets a new active membership in
      the target cadence at touch 1, whose id derives from the old id and the change key. When the
      prospect already has an active membership there (or gets one from another move in this
      run), no second one is created.
    - next_touch: current_touch + 1.
    - A membership takes its actions in order until one exits or moves it; actions after that,
      and actions on memberships that are no longer active, are not applied and not logged.
    """
    done, rows = _actions_that_apply(memberships, actions)
    kind = done["action"].to_numpy(dtype=object)
    after = memberships.copy()
    touched = np.zeros(len(after), dtype=bool)
    log_parts: list[pd.DataFrame] = []

    steps = kind == "next_touch"
    if steps.any():
        log_parts.append(_next_touches(after, done.loc[steps], rows[steps], touched))
    for action, new_status in (("exit_cadence", "exited"), ("move_to_cadence", "moved")):
        chosen = kind == action
        if chosen.any():
            after.iloc[rows[chosen], after.columns.get_loc("status")] = new_status
            touched[rows[chosen]] = True
            log_parts.append(_log(done.loc[chosen], "status", "active", new_status))
    moves = kind == "move_to_cadence"
    created = _moved_memberships(after, done.loc[moves], rows[moves], now)
    log_parts.append(created.log)

    after.loc[touched, "updated_at"] = now
    result = pd.concat([after, created.memberships], ignore_index=True) if len(created.memberships) else after
    log = pd.concat(log_parts, ignore_index=True)
    log = log.iloc[np.argsort(log["_order"].to_numpy(dtype=np.int64), kind="stable")]  # in the actions' order
    return AppliedActions(result, log.loc[:, list(LOG_COLUMNS)].astype("str").reset_index(drop=True))


def _actions_that_apply(memberships: pd.DataFrame, actions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The actions that take effect, numbered in `_order`, and the row of the membership each acts on."""
    index = pd.Index(memberships["membership_id"])
    if not index.is_unique:
        raise ValueError(f"membership ids repeat: {sorted(set(index[index.duplicated()]))[:5]}")
    at = index.get_indexer(actions["membership_id"])
    if (at < 0).any():
        unknown = actions.loc[at < 0, "membership_id"].unique()[:5].tolist()
        raise KeyError(f"actions name memberships that do not exist: {unknown}")
    kind = actions["action"].to_numpy(dtype=object)
    stays = (kind == "move_to_cadence") & (actions["target_cadence"].to_numpy(dtype=object) == memberships["cadence_id"].to_numpy(dtype=object)[at])
    live = np.flatnonzero((memberships["status"].to_numpy(dtype=object)[at] == "active") & ~stays)
    sequence = pd.Series(at[live]).groupby(at[live]).cumcount().to_numpy()
    ends = np.where(np.isin(kind[live], TERMINAL_ACTIONS), sequence, np.iinfo(np.int64).max)
    last = pd.Series(ends).groupby(at[live]).transform("min").to_numpy()
    applied = live[sequence <= last]
    return actions.iloc[applied].reset_index(drop=True).assign(_order=np.arange(len(applied))), at[applied]


def _next_touches(after: pd.DataFrame, steps: pd.DataFrame, rows: np.ndarray, touched: np.ndarray) -> pd.DataFrame:
    """Each step moves one touch on from where the previous step in this run left the membership."""
    before = after["current_touch"].to_numpy()[rows]
    old = before + pd.Series(rows).groupby(rows).cumcount().to_numpy()
    counts = np.bincount(rows, minlength=len(after))
    column = after.columns.get_loc("current_touch")
    stepped = np.flatnonzero(counts)
    after.iloc[stepped, column] = after["current_touch"].to_numpy()[stepped] + counts[stepped]
    touched[stepped] = True
    return _log(steps, "current_touch", pd.Series(old).astype("str").to_numpy(), pd.Series(old + 1).astype("str").to_numpy())


class _Created(NamedTuple):
    memberships: pd.DataFrame
    log: pd.DataFrame


def _moved_memberships(after: pd.DataFrame, moves: pd.DataFrame, rows: np.ndarray, now: pd.Timestamp) -> _Created:
    """The new memberships that moves create: one per prospect and target cadence, none where the
    prospect is still active in that cadence after this run's exits and moves."""
    still_active = after.loc[after["status"].eq("active").fillna(False).to_numpy(dtype=bool), ["prospect_id", "cadence_id"]]
    arriving = moves.assign(_row=rows)
    there = pd.MultiIndex.from_frame(arriving[["prospect_id", "target_cadence"]]).isin(pd.MultiIndex.from_frame(still_active))
    arriving = arriving.loc[~there].drop_duplicates(["prospect_id", "target_cadence"], keep="first")
    if arriving.empty:
        return _Created(after.iloc[0:0], _log(arriving, "cadence_id", [], []))
    sources = arriving["_row"].to_numpy()
    created = after.iloc[sources].copy().reset_index(drop=True)
    created["membership_id"] = [
        moved_membership_id(old, key) for old, key in zip(arriving["membership_id"], arriving["change_key"], strict=True)
    ]
    created["cadence_id"] = arriving["target_cadence"].to_numpy()
    created["current_touch"] = 1
    created["status"] = "active"
    created["updated_at"] = now
    log = _log(
        arriving.assign(membership_id=created["membership_id"].to_numpy()),
        "cadence_id", after["cadence_id"].to_numpy()[sources], arriving["target_cadence"].to_numpy(),
    )
    return _Created(created.astype(after.dtypes.to_dict()), log)


def _log(applied: pd.DataFrame, field: str, old: object, new: object) -> pd.DataFrame:
    text = pd.DataFrame({
        "membership_id": applied["membership_id"].to_numpy(),
        "prospect_id": applied["prospect_id"].to_numpy(),
        "field": field,
        "old_value": old,
        "new_value": new,
        "reason": applied["reason"].to_numpy(),
        "workflow": applied["workflow"].to_numpy(),
        "change_key": applied["change_key"].to_numpy(),
        "action": applied["action"].to_numpy(),
    }, dtype="str")
    return text.assign(_order=applied["_order"].to_numpy())
