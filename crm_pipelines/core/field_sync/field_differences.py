"""Which mapped field values differ between linked records, and which side gets whose (F2–F4).

For each mapping (a loop over the mappings, never over records):
- pull: the CRM's value goes to the app; push: the app's value goes to the CRM;
- two_way: the side whose record was modified more recently wins (F3): CRM LastModifiedDate
  against the app's updated_at. On a tie the CRM wins: it is the master of record;
- an empty CRM value overwrites the app only when F4.4 is on, an empty app value is sent to the
  CRM only when F4.5 is on; otherwise that field is left alone (the other side does not win
  instead: the newer side's emptiness is just not propagated);
- `crm_gates` can forbid the CRM from overwriting a field (F4.2 email, F4.7 opted-out).
Emails are compared normalized, so a change of case alone is no change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.emails import normalize_emails
from crm_pipelines.core.field_sync.changes import APP_TO_CRM, CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.values import canonical, empty, encode, same
from crm_pipelines.core.matching.frames import changed_at, utc_instant, utc_naive
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


def field_differences(
    linked: LinkedRecords,
    mappings: Sequence[FieldMapping],
    settings: ConnectorSettings,
    *,
    since: pd.Timestamp | None = None,
    crm_gates: Mapping[str, bool] | None = None,
    crm_columns: Mapping[str, pd.Series] | None = None,
) -> FieldDifferences:
    """Change rows (both directions) for every mapped field of `linked.crm_object` that differs.

    With `since`, only pairs where either side changed after it are compared (the CRM side by
    SystemModstamp when the table has it, else LastModifiedDate). `crm_columns` may pass
    crm_field_columns(linked.crm, ...) already unpacked, when the caller needs them too.
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

    parts, skipped = [], []
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
        if mapping.app_field == "email":
            differs = ~same(normalize_emails(app_values), normalize_emails(crm_values), "string")
        else:
            differs = ~same(app_values, crm_values, field_type)

        if mapping.direction == "pull":
            to_app, to_crm = differs, np.zeros_like(differs)
        elif mapping.direction == "push":
            to_app, to_crm = np.zeros_like(differs), differs
        else:
            to_app, to_crm = differs & ~app_wins, differs & app_wins
        if not settings.overwrite_app_with_empty_crm_values:
            to_app = to_app & ~empty(crm_values)
        if not settings.overwrite_crm_with_empty_app_values:
            to_crm = to_crm & ~empty(app_values)
        if not gates.get(mapping.app_field, True):
            to_app = np.zeros_like(to_app)

        if mapping.direction == "two_way":
            reason_in = np.where(tie[to_app], "same_time_crm_wins", "crm_newer")
        else:
            reason_in = "pull"
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
                direction=APP_TO_CRM, reason="app_newer" if mapping.direction == "two_way" else "push",
                at=app_at[to_crm]))
    return FieldDifferences(concat_changes(parts), tuple(skipped))
