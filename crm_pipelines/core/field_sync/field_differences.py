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
from dataclasses import dataclass, field

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
from crm_pipelines.settings.fields import AppObject, CrmObject, app_fields_of


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
    app_wins = (app_modified > crm_modified) | (np.isnat(crm_modified) & ~np.isnat(app_modified))
    tie = crm_modified == app_modified

    app_ids = app[linked.app_id_column].astype("string").reset_index(drop=True).iloc[app_rows].reset_index(drop=True)
    crm_ids = crm["id"].astype("string").reset_index(drop=True).iloc[crm_rows].reset_index(drop=True)
    crm_at = pd.Series(crm_modified)
    app_at = pd.Series(app_modified)
    columns = crm_columns if crm_columns is not None else crm_field_columns(crm, [m.crm_field for m in mine])
    types = app_fields_of(linked.crm_object)
    gates = crm_gates or {}
    three_way = base is not None and any(m.direction == "two_way" for m in mine)
    lookup = BaseLookup(base, linked.app_object, app_ids, crm_ids) if three_way else None
    field_times = FieldTimes(app, app_rows, app_modified)
    crm_times = CrmFieldTimes(crm, crm_rows, crm_ids, crm_field_times) if lookup is not None else None

    parts, skipped, synced = [], [], []
    for mapping in mine:
        if mapping.crm_field not in columns:
            skipped.append(mapping)
            continue
        if mapping.app_field not in app.columns:
            raise ValueError(
                f"the {linked.app_object} table has no column {mapping.app_field!r}, which the mapping "
                f"{linked.crm_object}.{mapping.crm_field} ↔ {mapping.app_field} ({mapping.direction}) needs")
        field_type = types[mapping.app_field]
        app_values = canonical(app[mapping.app_field].reset_index(drop=True).iloc[app_rows], field_type)
        crm_values = canonical(columns[mapping.crm_field].iloc[crm_rows], field_type)
        is_email = mapping.app_field == "email"
        differs = ~_same(app_values, crm_values, field_type, is_email)

        has_base = conflict = np.zeros_like(differs)
        if mapping.direction == "pull":
            to_app, to_crm = differs, np.zeros_like(differs)
        elif mapping.direction == "push":
            to_app, to_crm = np.zeros_like(differs), differs
        else:
            to_app, to_crm = differs & ~app_wins, differs & app_wins
            if lookup is not None:
                at_base = lookup.rows(mapping.app_field)
                has_base = at_base >= 0
                base_values = canonical(taken(lookup.values, at_base), field_type)
                app_changed = has_base & ~_same(app_values, base_values, field_type, is_email)
                crm_changed = has_base & ~_same(crm_values, base_values, field_type, is_email)
                conflict = differs & app_changed & crm_changed
                app_later = np.zeros_like(differs)
                if conflict.any():
                    app_field_at = field_times.of(mapping.app_field)
                    crm_field_at = crm_times.of(mapping.crm_field)
                    app_later = (app_field_at > crm_field_at) | (np.isnat(crm_field_at) & ~np.isnat(app_field_at))
                    app_at = pd.Series(np.where(conflict, app_field_at, app_at.to_numpy()))
                    crm_at = pd.Series(np.where(conflict, crm_field_at, crm_at.to_numpy()))
                to_app = np.where(has_base, differs & crm_changed & ~(app_changed & app_later), to_app)
                to_crm = np.where(has_base, differs & app_changed & ~(crm_changed & ~app_later), to_crm)
        if not settings.overwrite_app_with_empty_crm_values:
            to_app = to_app & ~empty(crm_values)
        if not settings.overwrite_crm_with_empty_app_values:
            to_crm = to_crm & ~empty(app_values)
        if not gates.get(mapping.app_field, True):
            to_app = np.zeros_like(to_app)

        if mapping.direction == "two_way":
            reason_in = np.where(has_base[to_app], np.where(conflict[to_app], "conflict_crm_newer", "crm_newer"),
                                 np.where(tie[to_app], "same_time_crm_wins", "crm_newer"))
            reason_out = np.where(has_base[to_crm] & conflict[to_crm], "conflict_app_newer", "app_newer")
            if lookup is not None:
                # Both sides hold the CRM's value once to_app is applied; store it where the base differs.
                shared = (~differs | to_app) & ~(has_base & ~crm_changed)
                if shared.any():
                    synced.append(pd.DataFrame({
                        "object": linked.app_object, "app_id": app_ids[shared].to_numpy(),
                        "crm_id": crm_ids[shared].to_numpy(), "field": mapping.app_field,
                        "value": encode(crm_values[shared], field_type).to_numpy()}).astype("string"))
        else:
            reason_in, reason_out = "pull", "push"
        common = dict(object=linked.app_object, crm_type=linked.crm_object, field=mapping.app_field,
                      crm_field=mapping.crm_field, field_type=field_type)
        if to_app.any():
            parts.append(change_rows(
                **common, app_id=app_ids[to_app], crm_id=crm_ids[to_app],
                old_value=encode(app_values[to_app], field_type), new_value=encode(crm_values[to_app], field_type),
                direction=CRM_TO_APP, reason=reason_in, at=crm_at[to_app]))
        if to_crm.any():
            parts.append(change_rows(
                **common, app_id=app_ids[to_crm], crm_id=crm_ids[to_crm],
                old_value=encode(crm_values[to_crm], field_type), new_value=encode(app_values[to_crm], field_type),
                direction=APP_TO_CRM, reason=reason_out, at=app_at[to_crm]))
        app_at, crm_at = pd.Series(app_modified), pd.Series(crm_modified)
    stored = pd.concat(synced, ignore_index=True) if synced else empty_base()
    return FieldDifferences(concat_changes(parts), tuple(skipped), stored)


def _same(a: pd.Series, b: pd.Series, field_type: str, is_email: bool) -> np.ndarray:
    if is_email:
        return same(normalize_emails(a), normalize_emails(b), "string")
    return same(a, b, field_type)
