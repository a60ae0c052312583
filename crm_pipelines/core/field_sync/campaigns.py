"""F6: campaigns go both ways, by the source algorithm:

1. campaigns changed in the CRM since the last sync are looked up in the app by CRM id;
2. one the app lacks is inserted (id `crm-<CRM id>`);
3. one the app has is updated field by field, three-way against the base where the pair has one
   (F3, see field_differences), else on whichever side was modified more recently (a tie goes to
   the CRM). Unlike the source, an app edit to a linked campaign is also pushed when the CRM side
   did not change since the last sync, or it would wait for the next CRM edit to go out;
4. active app campaigns with no CRM id, changed since the last sync, are created in the CRM
   (Salesforce requires a Name, so unnamed ones wait).
Deleted CRM campaigns are neither inserted nor updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.base import empty_base
from crm_pipelines.core.field_sync.changes import APP_TO_CRM, CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.creations import created_values
from crm_pipelines.core.field_sync.field_differences import LinkedRecords, field_differences
from crm_pipelines.core.field_sync.values import canonical, empty, encode
from crm_pipelines.core.matching.frames import changed_at, flag, require, utc_aware, utc_instant, utc_naive
from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from crm_pipelines.settings.fields import CAMPAIGN_FIELDS

NEW_CAMPAIGN_PREFIX = "crm-"


@dataclass(frozen=True)
class CampaignSync:
    """inbound: crm_to_app rows for app_campaigns, inserts included (apply with
    apply_campaign_changes). outbound: app_to_crm rows for Campaigns; crm_id NA with reason
    new_campaign for a campaign the CRM should create. skipped_mappings: CRM fields not extracted.
    synced: the base rows to store with the inbound changes."""

    inbound: pd.DataFrame
    outbound: pd.DataFrame
    skipped_mappings: tuple[FieldMapping, ...]
    synced: pd.DataFrame = field(default_factory=empty_base)


def sync_campaigns(
    app_campaigns: pd.DataFrame,
    crm_campaigns: pd.DataFrame,
    *,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
    base: pd.DataFrame | None = None,
    crm_field_times: pd.DataFrame | None = None,
) -> CampaignSync:
    """app_campaigns: campaign_id, crm_campaign_id, the mapped fields, updated_at (and
    field_changed_at, when kept). crm_campaigns: the extracted table. since: the last sync (None:
    everything). base: the stored base for the three-way sync (None: the newer record wins).
    crm_field_times: the CRM's per-field change times where the org has field history (F3)."""
    settings = settings or ConnectorSettings()
    require(app_campaigns, ("campaign_id", "crm_campaign_id", "is_active", "updated_at"), "app_campaigns")
    crm = crm_campaigns.reset_index(drop=True)
    app = app_campaigns.reset_index(drop=True)
    live = ~flag(crm, "is_deleted")
    changed = changed_at(crm)
    in_window = live & (True if since is None else changed > utc_instant(since))

    app_rows = positions(crm["id"], app["crm_campaign_id"])
    linked = np.flatnonzero(live & (app_rows >= 0))
    found = field_differences(
        LinkedRecords(app, crm, app_rows[linked], linked, "campaign", "Campaign", "campaign_id"),
        mappings, settings, since=since, base=base, crm_field_times=crm_field_times)
    is_in = (found.changes["direction"] == CRM_TO_APP).to_numpy(dtype=bool)

    inserted = np.flatnonzero(in_window & (app_rows < 0))
    new_ids = NEW_CAMPAIGN_PREFIX + crm["id"].astype("string").iloc[inserted].reset_index(drop=True)
    at = utc_aware(utc_naive(crm["last_modified_date"])[inserted])
    inserts = concat_changes([
        change_rows(object="campaign", app_id=new_ids, crm_type="Campaign",
                    crm_id=crm["id"].iloc[inserted], field="crm_campaign_id", crm_field="Id", field_type="string",
                    old_value=None, new_value=crm["id"].iloc[inserted], direction=CRM_TO_APP,
                    reason="created_in_crm", at=at),
        created_values(app_object="campaign", crm_object="Campaign", crm=crm, crm_rows=inserted, new_ids=new_ids,
                       mappings=mappings, field_types=CAMPAIGN_FIELDS, app_columns=list(app.columns), at=at),
    ])
    return CampaignSync(
        inbound=concat_changes([inserts, found.changes.loc[is_in]]),
        outbound=concat_changes([found.changes.loc[~is_in], _new_in_crm(app, mappings, since)]),
        skipped_mappings=found.skipped_mappings,
        synced=found.synced,
    )


def apply_campaign_changes(app_campaigns: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """app_campaigns with the crm_to_app campaign changes applied; idempotent."""
    return apply_changes(app_campaigns, changes, object="campaign", id_column="campaign_id")


def _new_in_crm(app: pd.DataFrame, mappings: Sequence[FieldMapping], since: pd.Timestamp | None) -> pd.DataFrame:
    named = ~empty(canonical(app["name"], "string")) if "name" in app.columns else np.zeros(len(app), dtype=bool)
    eligible = flag(app, "is_active") & app["crm_campaign_id"].isna().to_numpy() & named
    if since is not None:
        eligible &= utc_naive(app["updated_at"]) > utc_instant(since)
    rows = np.flatnonzero(eligible)
    picked = app.iloc[rows].reset_index(drop=True)
    parts = []
    for mapping in mappings:
        if mapping.crm_object != "Campaign" or mapping.direction not in ("push", "two_way"):
            continue
        field_type = CAMPAIGN_FIELDS[mapping.app_field]
        values = canonical(picked[mapping.app_field], field_type)
        present = ~empty(values)
        parts.append(change_rows(
            object="campaign", app_id=picked["campaign_id"][present], crm_type="Campaign", crm_id=None,
            field=mapping.app_field, crm_field=mapping.crm_field, field_type=field_type, old_value=None,
            new_value=encode(values[present], field_type), direction=APP_TO_CRM, reason="new_campaign",
            at=picked["updated_at"][present]))
    return concat_changes(parts)
