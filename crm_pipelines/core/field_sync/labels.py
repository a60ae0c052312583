"""F4.9: following the CRM's label changes of mapped custom fields.

Describe (E7) gives the current label of each custom field; the app keeps the label it last
took. When the setting is on, each mapped custom field whose label differs yields a change row
(including the first label the app learns); when off, none do and the app keeps its labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crm_pipelines.core.field_sync.changes import CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.matching.frames import require
from crm_pipelines.settings import ConnectorSettings, FieldMapping

LABEL_COLUMNS = ("crm_object", "crm_field", "label")


def label_changes(
    crm_labels: pd.DataFrame,
    app_labels: pd.DataFrame,
    mappings: Sequence[FieldMapping],
    settings: ConnectorSettings,
) -> pd.DataFrame:
    """Change rows (object field_label, app_id = app field, field label) for every mapped custom
    field whose CRM label differs from the app's.

    crm_labels: crm_object, crm_field, label — from describe. app_labels: the same columns, the
    labels the app holds. Field names compare case-insensitively, as Salesforce's do.
    """
    if not settings.follow_crm_label_changes:
        return concat_changes([])
    require(crm_labels, LABEL_COLUMNS, "crm_labels")
    require(app_labels, LABEL_COLUMNS, "app_labels")
    custom = [m for m in mappings if m.direction != "none" and m.crm_field.lower().endswith("__c")]
    if not custom:
        return concat_changes([])
    wanted = pd.DataFrame({
        "key": [f"{m.crm_object}.{m.crm_field}".lower() for m in custom],
        "crm_object": [m.crm_object for m in custom],
        "crm_field": [m.crm_field for m in custom],
        "app_field": [m.app_field for m in custom],
    })
    current = _by_key(crm_labels)
    held = _by_key(app_labels)
    new = wanted["key"].map(current)
    old = wanted["key"].map(held)
    changed = (new.notna() & (new != old).fillna(True)).to_numpy(dtype=bool)
    rows = wanted.loc[changed].reset_index(drop=True)
    return change_rows(
        object="field_label", app_id=rows["app_field"], crm_type=rows["crm_object"], crm_id=None,
        field="label", crm_field=rows["crm_field"], field_type="string",
        old_value=old[changed].astype("string"), new_value=new[changed].astype("string"),
        direction=CRM_TO_APP, reason="label_changed", at=None)


def _by_key(labels: pd.DataFrame) -> pd.Series:
    keys = (labels["crm_object"].astype("string") + "." + labels["crm_field"].astype("string")).str.lower()
    return pd.Series(labels["label"].astype("string").to_numpy(), index=keys.to_numpy()).groupby(level=0).last()


def apply_label_changes(app_labels: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The app's labels (crm_object, crm_field, label) with the label changes applied; idempotent."""
    rows = changes.loc[(changes["object"] == "field_label").to_numpy(dtype=bool)]
    if rows.empty:
        return app_labels
    updates = pd.DataFrame({
        "crm_object": rows["crm_type"].to_numpy(), "crm_field": rows["crm_field"].to_numpy(),
        "label": rows["new_value"].to_numpy(),
    }).astype("string")
    keys = (app_labels["crm_object"].astype("string") + "." + app_labels["crm_field"].astype("string")).str.lower()
    replaced = keys.isin((updates["crm_object"] + "." + updates["crm_field"]).str.lower()).to_numpy(dtype=bool)
    return pd.concat([app_labels.loc[~replaced].astype({c: "string" for c in LABEL_COLUMNS}), updates],
                     ignore_index=True)
