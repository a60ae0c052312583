"""The two-way field sync (F1–F8) as pure functions on DataFrames.

Every function returns change rows of one shape (changes.CHANGE_COLUMNS): crm_to_app rows are
applied to an app table with the matching `apply_*` function (idempotent), app_to_crm rows are
what the outbound push sends, and `connector_log_rows` turns either into connector-log rows.

    matched  = matching.match_prospects(prospects, crm_leads, crm_contacts, overrides).matched
    sync     = sync_prospects(matched, prospects, crm_leads, crm_contacts, settings=..., since=...)
    prospects = apply_inbound_changes(prospects, sync.inbound)
    log      = connector_log_rows(pd.concat([sync.inbound, sync.outbound]))
"""

from crm_pipelines.core.field_sync.activity import activity_push_enabled, activity_targets
from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.campaigns import CampaignSync, apply_campaign_changes, sync_campaigns
from crm_pipelines.core.field_sync.changes import APP_TO_CRM, CHANGE_COLUMNS, CRM_TO_APP, REASONS, empty_changes
from crm_pipelines.core.field_sync.companies import apply_company_changes, company_changes
from crm_pipelines.core.field_sync.log_rows import LOG_COLUMNS, connector_log_rows, log_summary
from crm_pipelines.core.field_sync.field_differences import FieldDifferences
from crm_pipelines.core.field_sync.inbound import apply_inbound_changes, changed_prospects, inbound_changes
from crm_pipelines.core.field_sync.labels import LABEL_COLUMNS, apply_label_changes, label_changes
from crm_pipelines.core.field_sync.new_leads import eligible_new_leads, new_lead_changes
from crm_pipelines.core.field_sync.opportunities import (
    OpportunitySync,
    StageSync,
    apply_opportunity_sync,
    new_opportunity_stages,
    stage_keys,
    sync_opportunities,
)
from crm_pipelines.core.field_sync.outbound import outbound_changes
from crm_pipelines.core.field_sync.prospect_sync import ProspectSync, new_prospect_ids, sync_prospects
from crm_pipelines.core.field_sync.values import decode, encode

__all__ = [
    "APP_TO_CRM",
    "CHANGE_COLUMNS",
    "CRM_TO_APP",
    "LABEL_COLUMNS",
    "LOG_COLUMNS",
    "REASONS",
    "CampaignSync",
    "FieldDifferences",
    "OpportunitySync",
    "ProspectSync",
    "activity_push_enabled",
    "activity_targets",
    "apply_campaign_changes",
    "apply_changes",
    "apply_company_changes",
    "apply_inbound_changes",
    "changed_prospects",
    "apply_label_changes",
    "apply_opportunity_sync",
    "new_opportunity_stages",
    "company_changes",
    "connector_log_rows",
    "decode",
    "eligible_new_leads",
    "empty_changes",
    "encode",
    "inbound_changes",
    "label_changes",
    "log_summary",
    "new_lead_changes",
    "new_prospect_ids",
    "outbound_changes",
    "stage_keys",
    "sync_campaigns",
    "StageSync",
    "sync_opportunities",
    "sync_prospects",
]
