"""W1, W3, F8: the planned actions applied to cadence memberships, with a log of every value changed."""

from __future__ import annotations

import hashlib
import uuid
from typing import NamedTuple

import numpy as np
import pandas as pd

from crm_pipelines.core.workflows.joins import shared_codes

LOG_COLUMNS = (
    "membership_id", "prospect_id", "field", "old_value", "new_value", "reason", "workflow", "change_key", "action",
)
"""One row per membership value changed: the connector log's entry (F8). old_value and new_value
are text; workflow, action and reason keep the actions' dtypes (categorical from the planner)."""

_MOVED_MEMBERSHIPS = uuid.UUID("5b0f3c2e-8d1a-4f61-9a53-0c6f2d7e4a19")
"""Namespace of the ids of memberships created by moves; fixed, so a replay derives the same id."""


class AppliedActions(NamedTuple):
    memberships: pd.DataFrame
    """Every membership after the actions: changed ones with updated_at = now, new ones appended."""
    log: pd.DataFrame
    """LOG_COLUMNS, in the actions' order. Its (membership_id, prospect_id, change_key, workflow)
    rows are the applied actions to record; they include the memberships that moves created."""


def moved_membership_id(membership_id: str, change_key: str) -> str:
    """The id of the membership a move creates: uuid5 of the old id and the change key, so the
    same move of the same change always gets the same id. Same as uuid.uuid5, without its
    per-call overhead, which shows at a hundred thousand moves."""
    name = f"{membership_id}\x1f{change_key}".encode()
    digest = bytearray(hashlib.sha1(_MOVED_MEMBERSHIPS.bytes + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def apply_cadence_actions(memberships: pd.DataFrame, actions: pd.DataFrame, now: pd.Timestamp) -> AppliedActions:
    """Apply `actions` (from plan_cadence_actions, in its order) to `memberships`.

    - exit_cadence: the membership's status becomes "exited".
    - move_to_cadence: its status becomes "moved", and the prospect gets a new active membership in
      the target cadence at touch 1, whose id derives from the old id and the change key
      (moved_membership_id). When the prospect is still active in the target cadence after this
      run's exits and moves, or another move of this run takes it there first, no second
      membership is created.
    - next_touch: current_touch + 1.
    - Actions on memberships that are not active, and moves into the membership's own cadence,
      are not applied and not logged; of several actions for one membership and change, the first.
    - Several changes of one prospect are applied change by change, in order, each on the
      memberships as the previous left them: an action on a membership an earlier change moved
      follows it to the membership it moved to; one on a membership an earlier change exited
      does nothing. So one run gives what running the changes one at a time would.
    """
    if pd.Timestamp(now).tzinfo is None:
        raise ValueError(f"now = {now} has no time zone: memberships' updated_at is UTC")
    now = pd.Timestamp(now).tz_convert("UTC")
    index = pd.Index(memberships["membership_id"])
    if not index.is_unique:
        raise ValueError(f"membership ids repeat: {index[index.duplicated()].unique()[:5].tolist()}")
    unknown = actions["membership_id"][index.get_indexer(actions["membership_id"]) < 0]
    if len(unknown):
        raise KeyError(f"actions name memberships that do not exist: {unknown.unique()[:5].tolist()}")
    ordered = actions.reset_index(drop=True).assign(_order=np.arange(len(actions)))
    wave = _waves(ordered)
    current, logs, moved_to = memberships, [], {}
    for number in range(int(wave.max()) + 1 if len(wave) else 0):
        batch = _following_moves(ordered.loc[wave == number], moved_to)
        current, log, moves = _apply_wave(current, batch, now, index if number == 0 else None)
        logs.append(log)
        if number < wave.max():
            moved_to = _moved_to(moved_to, moves, current)
    if not logs:
        empty_log = pd.DataFrame(columns=list(LOG_COLUMNS), dtype="str")
        return AppliedActions(memberships.reset_index(drop=True), empty_log)
    log = pd.concat(logs, ignore_index=True)
    log = log.iloc[np.argsort(log["_order"].to_numpy(dtype=np.int64), kind="stable")]
    return AppliedActions(current.reset_index(drop=True), log.loc[:, list(LOG_COLUMNS)].reset_index(drop=True))


def _waves(actions: pd.DataFrame) -> np.ndarray:
    """For each action, how many other changes of its prospect come before its own change."""
    prospect, _ = pd.factorize(actions["prospect_id"], use_na_sentinel=False)
    change, changes = pd.factorize(actions["change_key"], use_na_sentinel=False)
    pair = prospect.astype(np.int64) * max(len(changes), 1) + change
    pairs, first = np.unique(pair, return_index=True)
    by_appearance = np.argsort(first, kind="stable")
    owner = pairs[by_appearance] // max(len(changes), 1)
    rank = np.empty(len(pairs), dtype=np.int64)
    rank[by_appearance] = pd.Series(owner).groupby(owner).cumcount().to_numpy()
    return rank[np.searchsorted(pairs, pair)]


def _following_moves(actions: pd.DataFrame, moved_to: dict[str, str]) -> pd.DataFrame:
    if not moved_to:
        return actions
    followed = actions.assign(membership_id=actions["membership_id"].map(lambda m: moved_to.get(m, m)))
    return followed.drop_duplicates(["membership_id", "change_key"], keep="first")


def _moved_to(moved_to: dict[str, str], moves: pd.DataFrame, memberships: pd.DataFrame) -> dict[str, str]:
    """Where each membership moved so far now is: the prospect's active membership in the target."""
    active = memberships.loc[memberships["status"].eq("active").fillna(False).to_numpy(dtype=bool)]
    landing = moves.astype({"target_cadence": "str"}).merge(
        active[["prospect_id", "cadence_id", "membership_id"]].drop_duplicates(["prospect_id", "cadence_id"]),
        left_on=["prospect_id", "target_cadence"], right_on=["prospect_id", "cadence_id"], suffixes=("", "_now"),
    )
    latest = dict(zip(landing["membership_id"].tolist(), landing["membership_id_now"].tolist(), strict=True))
    return {**{old: latest.get(new, new) for old, new in moved_to.items()}, **latest}


def _apply_wave(
    memberships: pd.DataFrame, actions: pd.DataFrame, now: pd.Timestamp, index: pd.Index | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply actions of at most one change per prospect, so each membership takes one action at most.
    Returns the memberships after, the log, and the moves applied."""
    done, rows = _actions_that_apply(memberships, actions, index)
    kind = done["action"]
    steps = kind.eq("next_touch").to_numpy(dtype=bool)
    exits = kind.eq("exit_cadence").to_numpy(dtype=bool)
    moves = kind.eq("move_to_cadence").to_numpy(dtype=bool)

    touch = memberships["current_touch"].to_numpy(dtype=np.int64)
    before = touch[rows[steps]]
    touch = touch.copy()
    touch[rows[steps]] += 1
    exited = np.zeros(len(memberships), dtype=bool)
    exited[rows[exits]] = True
    moved = np.zeros(len(memberships), dtype=bool)
    moved[rows[moves]] = True
    touched = exited | moved
    touched[rows[steps]] = True

    after = memberships.assign(
        current_touch=pd.Series(touch, index=memberships.index, dtype=memberships["current_touch"].dtype),
        status=memberships["status"].mask(exited, "exited").mask(moved, "moved"),
        updated_at=memberships["updated_at"].mask(touched, now),
    )
    created, created_log = _moved_memberships(after, done.loc[moves], rows[moves], now)
    log = pd.concat([
        _log(done.loc[steps], "current_touch", before.astype(str), (before + 1).astype(str)),
        _log(done.loc[exits], "status", "active", "exited"),
        _log(done.loc[moves], "status", "active", "moved"),
        created_log,
    ], ignore_index=True)
    after = pd.concat([after, created], ignore_index=True) if len(created) else after
    return after, log, done.loc[moves, ["membership_id", "prospect_id", "target_cadence"]]


def _actions_that_apply(
    memberships: pd.DataFrame, actions: pd.DataFrame, index: pd.Index | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The actions that take effect, and the row of the membership each acts on. `index`: the
    memberships' ids as an index, when one is at hand (building it hashes every id)."""
    index = pd.Index(memberships["membership_id"]) if index is None else index
    at = index.get_indexer(actions["membership_id"])
    active = memberships["status"].eq("active").fillna(False).to_numpy(dtype=bool)[at]
    target = actions["target_cadence"].astype("str").reset_index(drop=True)
    current = memberships["cadence_id"].take(at).astype("str").reset_index(drop=True)
    moves = actions["action"].eq("move_to_cadence").to_numpy(dtype=bool)
    stays = moves & target.eq(current).fillna(False).to_numpy(dtype=bool)
    applied = np.flatnonzero(active & ~stays)
    applied = applied[~pd.Series(at[applied]).duplicated().to_numpy()]
    return actions.iloc[applied].reset_index(drop=True), at[applied]


def _moved_memberships(
    after: pd.DataFrame, moves: pd.DataFrame, rows: np.ndarray, now: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The memberships that moves open, and their log: one per prospect and target cadence, none
    where the prospect is still active in that cadence after this run's exits and moves."""
    active = after.loc[after["status"].eq("active").fillna(False).to_numpy(dtype=bool)]
    (prospect, active_prospect), _ = shared_codes(moves["prospect_id"], active["prospect_id"])
    (cadence, active_cadence), cadences = shared_codes(
        moves["target_cadence"].astype("str"), active["cadence_id"].astype("str")
    )
    there = prospect.astype(np.int64) * len(cadences) + cadence
    already = np.isin(there, active_prospect.astype(np.int64) * len(cadences) + active_cadence)
    _, first = np.unique(there, return_index=True)
    opens = np.zeros(len(moves), dtype=bool)
    opens[first] = True
    opens &= ~already

    arriving = moves.loc[opens]
    sources = rows[opens]
    created = after.iloc[sources].reset_index(drop=True)
    new_ids = [
        moved_membership_id(old, key)
        for old, key in zip(arriving["membership_id"].tolist(), arriving["change_key"].tolist(), strict=True)
    ]
    created["membership_id"] = pd.Series(new_ids, dtype=after["membership_id"].dtype)
    targets = arriving["target_cadence"].astype("str").to_numpy()
    created["cadence_id"] = pd.Series(targets, dtype=after["cadence_id"].dtype)
    created["current_touch"] = pd.Series(1, index=created.index, dtype=after["current_touch"].dtype)
    created["status"] = pd.Series("active", index=created.index, dtype=after["status"].dtype)
    created["updated_at"] = pd.Series(now, index=created.index).astype(after["updated_at"].dtype)
    log = _log(
        arriving.assign(membership_id=created["membership_id"].to_numpy()),
        "cadence_id",
        after["cadence_id"].take(sources).astype("str").to_numpy(),
        created["cadence_id"].astype("str").to_numpy(),
    )
    return created, log


def _log(applied: pd.DataFrame, field: str, old: object, new: object) -> pd.DataFrame:
    rows = range(len(applied))
    return pd.DataFrame({
        **{name: applied[name].reset_index(drop=True) for name in LOG_COLUMNS if name in applied.columns},
        "field": field,
        "old_value": pd.Series(old, index=rows, dtype="str"),
        "new_value": pd.Series(new, index=rows, dtype="str"),
        "_order": applied["_order"].to_numpy(),
    }, index=rows)
