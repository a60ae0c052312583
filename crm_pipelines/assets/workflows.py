"""The `workflows` group: cadence workflows on the CRM changes each sync brings (W1–W4, S4).

After the field sync has applied the CRM's Lead and Contact changes to the prospects, every
workflow of the tenant is evaluated on the records changed since the last evaluation, and its
actions (exit, move to another cadence, next touch) are applied to the prospects' active cadence
memberships once per change, each logged in the connector log (F8).
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from crm_pipelines.assets.app import APP_ASSET_KEYS
from crm_pipelines.assets.declaration import per_tenant
from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.assets.row_counts import counted
from crm_pipelines.clock import ClockResource
from crm_pipelines.core.workflows.changed_records import changed_records, prospect_columns
from crm_pipelines.core.workflows.not_evaluated import why_not_evaluated
from crm_pipelines.core.workflows.run import run_workflows
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.workflow_changes import latest_modstamp, read_changed_people
from crm_pipelines.store.workflow_state import commit_workflow_run, read_applied_actions, read_workflow_cursor


@asset(**per_tenant(
    "workflows", {"python", "sql"},
    # The Leads and Contacts are read by the store, narrowed to the changes (store.workflow_changes).
    deps=[AssetKey("synced_prospects"), AssetKey("crm_leads"), AssetKey("crm_contacts"),
          APP_ASSET_KEYS["cadence_memberships"], APP_ASSET_KEYS["cadences"]],
))
def cadence_workflow_actions(context: AssetExecutionContext, database: DatabaseResource,
                             clock: ClockResource) -> MaterializeResult:
    """The tenant's cadence workflows applied to the Leads and Contacts changed since the last
    evaluation: "when a Lead's Status becomes Disqualified, exit the cadence", "when a Contact's
    Title contains VP, move to the Executive cadence". Each action once per change, however often
    this runs; each logged. Only with `sync.updates_with_criteria` and `sync.crm_to_app` on (S4);
    changes synced while either is off are not acted on later. The first evaluation only sets the
    starting point: workflows act on changes after it."""
    db, now = database.db(), clock.now()
    tenant = database.partition_tenant(context)
    settings = tenant.settings
    since = read_workflow_cursor(db, tenant.id)
    latest = latest_modstamp(db, tenant.id)
    why = why_not_evaluated(settings.sync, settings.workflows, since)
    if why is not None:
        # Nothing is evaluated: only the starting point moves, and no record is read.
        commit_workflow_run(db, tenant.id, memberships=None, applied=None, log_rows=None, evaluated_through=latest,
                            at=now, run_id=context.run.run_id, batch=context.asset_key.to_user_string())
        return counted(context, db, {"workflows": why, "actions_applied": 0})

    leads, contacts, prospects = read_changed_people(db, tenant.id, since, prospect_columns(settings.workflows))
    changes, _ = changed_records(leads, contacts, prospects, since)
    run = run_workflows(changes, read_app_table(db, tenant.id, "cadence_memberships"),
                        set(read_app_table(db, tenant.id, "cadences")["cadence_id"].astype(str)),
                        read_applied_actions(db, tenant.id), settings.workflows, settings.workflow_fields(),
                        pd.Timestamp(now))
    if run.unknown_targets:
        context.log.warning(f"tenant '{tenant.id}': moves to cadences the app does not have "
                            f"({', '.join(run.unknown_targets)}) are not applied")
    commit_workflow_run(db, tenant.id, memberships=run.memberships, applied=run.applied, log_rows=run.log_rows,
                        evaluated_through=latest, at=now, run_id=context.run.run_id,
                        batch=context.asset_key.to_user_string())
    rows = run.log_rows
    return counted(context, db, {
        "workflows": f"{len(settings.workflows)} configured", "changed_records": len(changes), "matches": run.matches,
        "actions_applied": len(run.actions), "memberships_changed": int(rows["app_id"].nunique()),
        "unknown_target_cadences": ", ".join(run.unknown_targets) or "none",
        **counts_by(run.actions, "action", prefix="action_"),
        "evaluated_through": MetadataValue.text(latest.isoformat() if latest is not None else "none"),
        "preview": markdown_table(rows[["app_id", "crm_id", "field", "old_value", "new_value", "reason", "detail"]]),
    })
