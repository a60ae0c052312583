"""Which mapped field values differ between linked records, and which side gets whose (F2–F4).

For each mapping (a loop over the mappings, never over records):
- pull: the CRM's value goes to the app; push: the app's value goes to the CRM;
- two_way, with a base (the value both sides last agreed on, see base.py): three-way, field by
  field (F3). A side whose value is still the base's did not change it and never overwrites the
  other; a field changed on one side goes to the other; a field changed on both goes to the side
  that changed it later: the CRM's change time of that field (crm_change_times: its field history
  where the org tracks it, else the record's SystemModstamp, else LastModifiedDate) against the
  app's own change time of that field (updated_at where it has none), a tie to the CRM. Such a conflict is logged as
  conflict_crm_newer / conflict_app_newer, the loser's value as old, the winner's as new;
- two_way with no base yet (a pair's first sync): the side whose record was modified more
  recently wins: CRM LastModifiedDate against the app's updated_at. On a tie the CRM wins: it is
  the master of record;
- an empty CRM value overwrites the app only when F4.4 is on, an empty app value is sent to the
  CRM only when F4.5 is on; otherwise that field is left alone (the other side does not win
  instead: the newer side's emptiness is just not propagated);
- `crm_gates` can forbid the CRM from overwriting a field (F4.2 email, F4.7 opted-out).
Emails are compared normalized, so a change of case alone is no change.

Given a base, the result also holds the base rows to store for the values both sides share once
the inbound changes are applied (`synced`); an outbound value becomes base only when the CRM
confirms it (the push ledger).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.field_sync.base import BaseLookup, FieldTimes, empty_base
from crm_pipelines.core.field_sync.crm_change_times import CrmFieldTimes
from crm_pipelines.core.field_sync.changes import APP_TO_CRM, CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.values import canonical, empty, encode, same
from crm_pipelines.core.matching.frames import changed_at, utc_instant, utc_naive
from crm_pipelines.core.matching.lookup import taken
from crm_pipelines.settings import ConnectorSettings, FieldMapping
from crm_pipelines.settings.fields import AppObject, CrmObject, FieldType, app_fields_of


@dataclass(frozen=True)
class LinkedRecords:
    """Pairs of linked records of one CRM object, as aligned row positions in the two frames."""

    app: pd.DataFrame
    crm: pd.DataFrame
    app_rows: np.ndarray
    crm_rows: np.ndarray
    app_object: AppObject
    crm_object: CrmObject
    app_id_column: str


@dataclass(frozen=True)
class FieldDifferences:
    changes: pd.DataFrame
    skipped_mappings: tuple[FieldMapping, ...]
    """Mappings whose CRM field the extracted table does not carry (E6: not in the org)."""
    synced: pd.DataFrame = field(default_factory=empty_base)
    """Base rows (base.BASE_COLUMNS) to store with the inbound changes: two-way values both sides
    share once those are applied, where the stored base differs or is missing."""


def field_differences(
    linked: LinkedRecords,
    mappings: Sequence[FieldMapping],
    settings: ConnectorSettings,
    *,
    since: pd.Timestamp | None = None,
    crm_gates: Mapping[str, bool] | None = None,
    crm_columns: Mapping[str, pd.Series] | None = None,
    base: pd.DataFrame | None = None,
    crm_field_times: pd.DataFrame | None = None,
) -> FieldDifferences:
    """Change rows (both directions) for every mapped field of `linked.crm_object` that differs.

    With `since`, only pairs where either side changed after it are compared (the CRM side by
    SystemModstamp when the table has it, else LastModifiedDate). `crm_columns` may pass
    crm_field_columns(linked.crm, ...) already unpacked, when the caller needs them too.
    `base`: base.BASE_COLUMNS rows; None compares every two-way field by the record rule.
    `crm_field_times`: crm_change_times.FIELD_TIME_COLUMNS rows, the CRM's per-field change times
    from its field history (None or empty: the org tracks none, the record's time decides).
    """
    mine = [m for m in mappings if m.crm_object == linked.crm_object and m.direction != "none"]
    pairs = _pairs_to_compare(linked, since)
    columns = crm_columns if crm_columns is not None else crm_field_columns(linked.crm, [m.crm_field for m in mine])
    types = app_fields_of(linked.crm_object)
    agreed = _agreed_values(linked, mine, pairs, base, crm_field_times)
    parts, skipped, synced = [], [], []
    for mapping in mine:
        if mapping.crm_field not in columns:
            skipped.append(mapping)
            continue
        values = _field_values(linked, mapping, pairs, columns, types)
        sides = _gated(_who_gets_what(mapping, values, pairs, agreed), mapping, values, settings, crm_gates or {})
        if mapping.direction == "two_way" and agreed is not None:
            synced.append(_shared_base_rows(linked, mapping, values, sides, pairs))
        parts += _field_change_rows(linked, mapping, values, sides, pairs)
    shared = [rows for rows in synced if len(rows)]
    stored = pd.concat(shared, ignore_index=True) if shared else empty_base()
    return FieldDifferences(concat_changes(parts), tuple(skipped), stored)


@dataclass(frozen=True)
class _ComparedPairs:
    """The linked pairs compared (those changed since the last sync), with each side's record time."""

    app_rows: np.ndarray
    crm_rows: np.ndarray
    app_ids: pd.Series
    crm_ids: pd.Series
    app_modified: np.ndarray
    crm_modified: np.ndarray
    app_newer: np.ndarray
    """The record rule: the app record was modified later (a record with no time loses)."""
    same_time: np.ndarray


def _pairs_to_compare(linked: LinkedRecords, since: pd.Timestamp | None) -> _ComparedPairs:
    app, crm = linked.app, linked.crm
    crm_modified = utc_naive(crm["last_modified_date"])[linked.crm_rows]
    app_modified = utc_naive(app["updated_at"])[linked.app_rows]
    keep = np.ones(len(linked.app_rows), dtype=bool)
    if since is not None:
        cutoff = utc_instant(since)
        keep = (changed_at(crm)[linked.crm_rows] > cutoff) | (app_modified > cutoff)
    app_rows, crm_rows = linked.app_rows[keep], linked.crm_rows[keep]
    crm_modified, app_modified = crm_modified[keep], app_modified[keep]
    # NaT never compares greater, so a record with no timestamp loses to one that has one.
    app_newer = (app_modified > crm_modified) | (np.isnat(crm_modified) & ~np.isnat(app_modified))
    app_ids = app[linked.app_id_column].astype("string").reset_index(drop=True).iloc[app_rows].reset_index(drop=True)
    crm_ids = crm["id"].astype("string").reset_index(drop=True).iloc[crm_rows].reset_index(drop=True)
    return _ComparedPairs(app_rows, crm_rows, app_ids, crm_ids, app_modified, crm_modified, app_newer,
                          crm_modified == app_modified)


@dataclass(frozen=True)
class _AgreedValues:
    """What the three-way rule reads: the base of each pair, and each side's own change time of a field."""

    lookup: BaseLookup
    app_times: FieldTimes
    crm_times: CrmFieldTimes


def _agreed_values(linked: LinkedRecords, mine: Sequence[FieldMapping], pairs: _ComparedPairs,
                   base: pd.DataFrame | None, crm_field_times: pd.DataFrame | None) -> _AgreedValues | None:
    """None when no field is decided three-way (no base given, or no two-way mapping)."""
    if base is None or not any(m.direction == "two_way" for m in mine):
        return None
    return _AgreedValues(
        BaseLookup(base, linked.app_object, pairs.app_ids, pairs.crm_ids),
        FieldTimes(linked.app, pairs.app_rows, pairs.app_modified),
        CrmFieldTimes(linked.crm, pairs.crm_rows, pairs.crm_ids, crm_field_times))


@dataclass(frozen=True)
class _FieldValues:
    """One mapped field's values on both sides of the compared pairs."""

    field_type: FieldType
    is_email: bool
    app: pd.Series
    crm: pd.Series
    differs: np.ndarray


def _field_values(linked: LinkedRecords, mapping: FieldMapping, pairs: _ComparedPairs,
                  columns: Mapping[str, pd.Series], types: Mapping[str, FieldType]) -> _FieldValues:
    if mapping.app_field not in linked.app.columns:
        raise ValueError(
            f"the {linked.app_object} table has no column {mapping.app_field!r}, which the mapping "
            f"{linked.crm_object}.{mapping.crm_field} ↔ {mapping.app_field} ({mapping.direction}) needs")
    field_type = types[mapping.app_field]
    app_values = canonical(linked.app[mapping.app_field].reset_index(drop=True).iloc[pairs.app_rows], field_type)
    crm_values = canonical(columns[mapping.crm_field].iloc[pairs.crm_rows], field_type)
    is_email = mapping.app_field == "email"
    differs = ~_same(app_values, crm_values, field_type, is_email)
    return _FieldValues(field_type, is_email, app_values, crm_values, differs)


@dataclass(frozen=True)
class _Sides:
    """Which pairs' value goes to the app and which to the CRM, and why."""

    to_app: np.ndarray
    to_crm: np.ndarray
    has_base: np.ndarray
    conflict: np.ndarray
    crm_changed: np.ndarray
    """The CRM's value is not the base's (meaningful where has_base)."""
    app_at: pd.Series
    crm_at: pd.Series
    """When each side changed: the record's time, or the field's own where the field is in conflict."""


def _who_gets_what(mapping: FieldMapping, values: _FieldValues, pairs: _ComparedPairs,
                   agreed: _AgreedValues | None) -> _Sides:
    differs = values.differs
    nothing = np.zeros_like(differs)
    app_at, crm_at = pd.Series(pairs.app_modified), pd.Series(pairs.crm_modified)
    if mapping.direction == "pull":
        return _Sides(differs, nothing, nothing, nothing, nothing, app_at, crm_at)
    if mapping.direction == "push":
        return _Sides(nothing, differs, nothing, nothing, nothing, app_at, crm_at)
    by_record = _Sides(differs & ~pairs.app_newer, differs & pairs.app_newer, nothing, nothing, nothing,
                       app_at, crm_at)
    return by_record if agreed is None else _three_way(mapping, values, agreed, by_record)


def _three_way(mapping: FieldMapping, values: _FieldValues, agreed: _AgreedValues, by_record: _Sides) -> _Sides:
    """F3: a side still at the base's value changed nothing; a field changed on both sides goes to
    the side that changed it later (a tie to the CRM). Pairs with no base keep the record rule."""
    differs, field_type, is_email = values.differs, values.field_type, values.is_email
    at_base = agreed.lookup.rows(mapping.app_field)
    has_base = at_base >= 0
    base_values = canonical(taken(agreed.lookup.values, at_base), field_type)
    app_changed = has_base & ~_same(values.app, base_values, field_type, is_email)
    crm_changed = has_base & ~_same(values.crm, base_values, field_type, is_email)
    conflict = differs & app_changed & crm_changed
    app_later = np.zeros_like(differs)
    app_at, crm_at = by_record.app_at, by_record.crm_at
    if conflict.any():
        app_field_at = agreed.app_times.of(mapping.app_field)
        crm_field_at = agreed.crm_times.of(mapping.crm_field)
        app_later = (app_field_at > crm_field_at) | (np.isnat(crm_field_at) & ~np.isnat(app_field_at))
        app_at = pd.Series(np.where(conflict, app_field_at, app_at.to_numpy()))
        crm_at = pd.Series(np.where(conflict, crm_field_at, crm_at.to_numpy()))
    to_app = np.where(has_base, differs & crm_changed & ~(app_changed & app_later), by_record.to_app)
    to_crm = np.where(has_base, differs & app_changed & ~(crm_changed & ~app_later), by_record.to_crm)
    return _Sides(to_app, to_crm, has_base, conflict, crm_changed, app_at, crm_at)


def _gated(sides: _Sides, mapping: FieldMapping, values: _FieldValues, settings: ConnectorSettings,
           gates: Mapping[str, bool]) -> _Sides:
    """F4.4 / F4.5: an empty value crosses only when allowed; a closed gate keeps the CRM out."""
    to_app, to_crm = sides.to_app, sides.to_crm
    if not settings.overwrite_app_with_empty_crm_values:
        to_app = to_app & ~empty(values.crm)
    if not settings.overwrite_crm_with_empty_app_values:
        to_crm = to_crm & ~empty(values.app)
    if not gates.get(mapping.app_field, True):
        to_app = np.zeros_like(to_app)
    return replace(sides, to_app=to_app, to_crm=to_crm)


def _shared_base_rows(linked: LinkedRecords, mapping: FieldMapping, values: _FieldValues, sides: _Sides,
                      pairs: _ComparedPairs) -> pd.DataFrame:
    """Both sides hold the CRM's value once to_app is applied: the base rows for it, where the
    stored base differs or is missing (empty when there is none)."""
    shared = (~values.differs | sides.to_app) & ~(sides.has_base & ~sides.crm_changed)
    if not shared.any():
        return empty_base()
    return pd.DataFrame({
        "object": linked.app_object, "app_id": pairs.app_ids[shared].to_numpy(),
        "crm_id": pairs.crm_ids[shared].to_numpy(), "field": mapping.app_field,
        "value": encode(values.crm[shared], values.field_type).to_numpy()}).astype("string")


def _field_change_rows(linked: LinkedRecords, mapping: FieldMapping, values: _FieldValues, sides: _Sides,
                       pairs: _ComparedPairs) -> list[pd.DataFrame]:
    to_app, to_crm, field_type = sides.to_app, sides.to_crm, values.field_type
    reason_in, reason_out = _reasons(mapping, sides, pairs)
    common = dict(object=linked.app_object, crm_type=linked.crm_object, field=mapping.app_field,
                  crm_field=mapping.crm_field, field_type=field_type)
    parts = []
    if to_app.any():
        parts.append(change_rows(
            **common, app_id=pairs.app_ids[to_app], crm_id=pairs.crm_ids[to_app],
            old_value=encode(values.app[to_app], field_type), new_value=encode(values.crm[to_app], field_type),
            direction=CRM_TO_APP, reason=reason_in, at=sides.crm_at[to_app]))
    if to_crm.any():
        parts.append(change_rows(
            **common, app_id=pairs.app_ids[to_crm], crm_id=pairs.crm_ids[to_crm],
            old_value=encode(values.crm[to_crm], field_type), new_value=encode(values.app[to_crm], field_type),
            direction=APP_TO_CRM, reason=reason_out, at=sides.app_at[to_crm]))
    return parts


def _reasons(mapping: FieldMapping, sides: _Sides, pairs: _ComparedPairs) -> tuple[str | np.ndarray, str | np.ndarray]:
    """The reason of each inbound and each outbound change, in the connector log's words."""
    if mapping.direction != "two_way":
        return "pull", "push"
    to_app, to_crm, has_base, conflict = sides.to_app, sides.to_crm, sides.has_base, sides.conflict
    reason_in = np.where(has_base[to_app], np.where(conflict[to_app], "conflict_crm_newer", "crm_newer"),
                         np.where(pairs.same_time[to_app], "same_time_crm_wins", "crm_newer"))
    reason_out = np.where(has_base[to_crm] & conflict[to_crm], "conflict_app_newer", "app_newer")
    return reason_in, reason_out


def _same(a: pd.Series, b: pd.Series, field_type: str, is_email: bool) -> np.ndarray:
    if is_email:
        return same(normalize_emails(a), normalize_emails(b), "string")
    return same(a, b, field_type)
