"""Change rows that create an app record from a CRM record (F4.1, F5, F6): one row per
non-empty mapped value the app takes from the CRM, under the new record's id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.changes import CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.crm_values import crm_field_columns
from crm_pipelines.core.field_sync.values import canonical, empty, encode
from crm_pipelines.settings import FieldMapping
from crm_pipelines.settings.fields import AppObject, CrmObject, FieldType


def created_values(
    *,
    app_object: AppObject,
    crm_object: CrmObject,
    crm: pd.DataFrame,
    crm_rows: np.ndarray,
    new_ids: pd.Series,
    mappings: Sequence[FieldMapping],
    field_types: Mapping[str, FieldType],
    app_columns: Sequence[str],
    at: pd.Series,
    crm_columns: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Rows (reason created_in_crm) giving each new record the values of its CRM record's pull
    and two-way mappings. Empty values are left out: a new record has nothing to overwrite.
    `crm_columns` may pass crm_field_columns(crm, ...) already unpacked."""
    wanted = [m for m in mappings if m.crm_object == crm_object and m.direction in ("pull", "two_way")
              and m.app_field in app_columns]
    columns = crm_columns if crm_columns is not None else crm_field_columns(crm, [m.crm_field for m in wanted])
    crm_ids = crm["id"].astype("string").reset_index(drop=True).iloc[crm_rows].reset_index(drop=True)
    new_ids = new_ids.reset_index(drop=True)
    at = at.reset_index(drop=True)
    parts = []
    for mapping in wanted:
        if mapping.crm_field not in columns:
            continue
        field_type = field_types[mapping.app_field]
        values = canonical(columns[mapping.crm_field].iloc[crm_rows], field_type)
        present = ~empty(values)
        parts.append(change_rows(
            object=app_object, app_id=new_ids[present], crm_type=crm_object, crm_id=crm_ids[present],
            field=mapping.app_field, crm_field=mapping.crm_field, field_type=field_type, old_value=None,
            new_value=encode(values[present], field_type), direction=CRM_TO_APP, reason="created_in_crm",
            at=at[present]))
    return concat_changes(parts)
