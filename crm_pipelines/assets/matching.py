"""The `matching` group: which app user is which CRM user (X1), which prospect is which Lead or
Contact (X2, X5), and which company is which Account (X4), rebuilt from scratch every sync with the
manual overrides (X3) read from `match_overrides`, so a confirmed match survives every rebuild.
Only on a complete extraction (`crm_extraction_complete`): on a partial one, a prospect whose Lead
or Contact was not read yet would look unmatched."""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, asset

from crm_pipelines.assets.app import APP_ASSET_KEYS
from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.assets.report_tables import counts_by, markdown_table
from crm_pipelines.assets.sync_chain import EXTRACTION_GATE
from crm_pipelines.core.matching import match_accounts, match_prospects, match_users
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.core.matching.accounts import ACCOUNT_SOURCE_COLUMNS
from crm_pipelines.core.matching.people import PEOPLE_SOURCE_COLUMNS
from crm_pipelines.core.matching.prospects import PROSPECT_SOURCE_COLUMNS
from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.io_manager import READ_COLUMNS, WRITE_CHANGED_ROWS
from crm_pipelines.store.resource import DatabaseResource

_COMMON = dict(
    partitions_def=tenant_partitions, io_manager_key="tenant_io_manager", group_name="matching",
    kinds={"python", "sql"}, owners=OWNERS, code_version="1",
)


@asset(**_COMMON, deps=[EXTRACTION_GATE, APP_ASSET_KEYS["app_users"], APP_ASSET_KEYS["match_overrides"]])
def matched_users(context: AssetExecutionContext, database: DatabaseResource, crm_users: pd.DataFrame) -> pd.DataFrame:
    """Each app user matched to a CRM user, by normalized email or by a confirmed manual match
    (X1, X3): user_id, crm_user_id, matched_by (email|manual). Decides whose lists a CRM record
    lands on and who owns pulled prospects. Metadata lists the users that match nobody and the
    emails several CRM users share."""
    db, tenant = database.db(), context.partition_key
    found = match_users(read_app_table(db, tenant, "app_users"), crm_users,
                        read_app_table(db, tenant, "match_overrides"))
    context.add_output_metadata({
        "matched": len(found.matched), **counts_by(found.matched, "matched_by", prefix="matched_by_"),
        "unmatched": len(found.unmatched), "unmatched_users": markdown_table(found.unmatched),
        "ambiguous_emails": markdown_table(found.ambiguous), "stale_overrides": markdown_table(found.stale_overrides),
    })
    return found.matched


# Matching reads only what places a person (crm_people): not the names, phones and mapped fields.
# So do the prospect sync's assets, which read each range's records whole from the store.
PEOPLE_ONLY = AssetIn(metadata={READ_COLUMNS: list(PEOPLE_SOURCE_COLUMNS)})
# Nor the app's prospects whole (id, stored CRM id, email, deleted flag: PROSPECT_SOURCE_COLUMNS),
# nor the Accounts' addresses and mapped fields: only what places a company.
ACCOUNTS_PLACED = AssetIn(metadata={READ_COLUMNS: list(ACCOUNT_SOURCE_COLUMNS)})


# One row per matched prospect, most the same from run to run: only the rows that differ are written.
@asset(**_COMMON, deps=[EXTRACTION_GATE, APP_ASSET_KEYS["prospects"], APP_ASSET_KEYS["match_overrides"]],
       ins={"crm_leads": PEOPLE_ONLY, "crm_contacts": PEOPLE_ONLY}, metadata={WRITE_CHANGED_ROWS: True})
def matched_prospects(context: AssetExecutionContext, database: DatabaseResource, crm_leads: pd.DataFrame,
                      crm_contacts: pd.DataFrame) -> pd.DataFrame:
    """Each prospect matched to a live CRM Lead or Contact (X2): by its stored CRM id, followed
    through merges and conversions (X5), else by normalized email when the tenant allows it (F4.6),
    and a confirmed manual match always wins (X3). One row per matched prospect: prospect_id,
    crm_id, crm_type, matched_by (id|merged|converted|email|manual), candidates, ambiguous.
    Metadata lists unmatched prospects with the reason and the emails several CRM records share."""
    db, tenant_id = database.db(), context.partition_key
    tenant = database.tenants().get(tenant_id)
    by_email = tenant.settings.connector.match_by_email
    found = match_prospects(read_app_table(db, tenant_id, "prospects", columns=PROSPECT_SOURCE_COLUMNS),
                            crm_leads, crm_contacts,
                            read_app_table(db, tenant_id, "match_overrides"), match_by_email=by_email)
    context.add_output_metadata({
        "matched": len(found.matched), **counts_by(found.matched, "matched_by", prefix="matched_by_"),
        "match_by_email": "on (F4.6)" if by_email else "off (F4.6): prospects without a CRM id stay unmatched",
        "ambiguous_matches": int(found.matched["ambiguous"].sum()),
        "unmatched": len(found.unmatched_prospects), "unmatched_prospects": markdown_table(found.unmatched_prospects),
        "ambiguous_emails": markdown_table(found.ambiguous), "stale_overrides": markdown_table(found.stale_overrides),
        "crm_records_without_prospect": found.crm_without_prospect_count,
    })
    return found.matched


@asset(**_COMMON, deps=[EXTRACTION_GATE, APP_ASSET_KEYS["companies"], APP_ASSET_KEYS["match_overrides"]],
       ins={"crm_accounts": ACCOUNTS_PLACED})
def matched_accounts(context: AssetExecutionContext, database: DatabaseResource,
                     crm_accounts: pd.DataFrame) -> pd.DataFrame:
    """Each app company matched to a live CRM Account (X4): by its stored Account id (followed
    through merges), else website domain (public mail domains never match), else normalized name;
    a confirmed manual match always wins (X3). company_id, crm_account_id, matched_by
    (id|merged|domain|name|manual), candidates, ambiguous. Metadata lists unmatched companies
    and the domains or names several Accounts share."""
    db, tenant = database.db(), context.partition_key
    found = match_accounts(read_app_table(db, tenant, "companies"), crm_accounts,
                           read_app_table(db, tenant, "match_overrides"))
    context.add_output_metadata({
        "matched": len(found.matched), **counts_by(found.matched, "matched_by", prefix="matched_by_"),
        "ambiguous_matches": int(found.matched["ambiguous"].sum()),
        "unmatched": len(found.unmatched_companies), "unmatched_companies": markdown_table(found.unmatched_companies),
        "shared_domains_or_names": markdown_table(found.ambiguous),
        "stale_overrides": markdown_table(found.stale_overrides),
        "accounts_without_company": len(found.accounts_without_company),
    })
    return found.matched
