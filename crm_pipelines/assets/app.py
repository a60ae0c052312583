"""The `app` group: the app's own tables, where lineage starts.

The app writes these tables itself (users, prospects, companies, ...); the pipeline reads them and
writes back only what the field sync applies. They are declared here, not materialized, so the
asset graph shows where matching and the field sync get their input.
"""

from dagster import AssetKey, AssetsDefinition, AssetSpec

from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.partitions import tenant_partitions

APP_TABLE_DESCRIPTIONS: dict[str, str] = {
    "app_users": "The app's users: who may own prospects and lists. Matched to CRM users by email (X1).",
    "prospects": "The app's prospects: people a tenant sells to, each maybe linked to a CRM Lead or Contact.",
    "companies": "The app's companies, each maybe linked to a CRM Account (X4).",
    "app_campaigns": "The app's campaigns; synced both ways with CRM Campaigns (F6).",
    "opportunity_stages": "The opportunity stages the app knows; unknown CRM stages are added (F5).",
    "app_opportunities": "The app's read-only copies of CRM Opportunities (F5).",
    "activity_events": "What users did with prospects in the app (emails, calls, meetings), for P1's Tasks.",
    "cadences": "The app's cadences (sequences of touches).",
    "cadence_memberships": "Which prospect is in which cadence, at which touch, and whether still active.",
    "cadence_touches": "Each touch of a cadence membership and its outcome, for P2's Tasks.",
    "match_overrides": "Matches a user confirmed by hand (X3); they win over every automatic match.",
    "manual_list_overrides": "Accounts, leads and contacts users added to or removed from their lists by hand (L7, L8).",
    "auto_save_rule_selections": "The auto-save rules each user picked (L4).",
    "push_requests": "Prospects a user asked to push to the CRM now (P4a).",
    "todos": "To-dos assigned to users, which push the prospect with that user as owner (P4d).",
    "app_field_labels": "The labels the app shows for mapped custom fields, as last taken from the CRM (F4.9).",
}

APP_ASSET_KEYS: dict[str, AssetKey] = {name: AssetKey(name) for name in APP_TABLE_DESCRIPTIONS}

app_tables = AssetsDefinition(specs=[
    AssetSpec(
        key, group_name="app", description=APP_TABLE_DESCRIPTIONS[name], partitions_def=tenant_partitions,
        kinds={"sql"}, owners=OWNERS, metadata={"table": name},
    )
    for name, key in APP_ASSET_KEYS.items()
])
