"""Accounts are pulled (F1): a matched company takes its Account's mapped values and keeps the
Account's id (company_links). When the website changes, the company's domain follows it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.core.field_sync.company_links import company_link_changes
from crm_pipelines.core.field_sync.field_differences import FieldDifferences, LinkedRecords, field_differences
from crm_pipelines.core.field_sync.read_only import read_as_pull
from crm_pipelines.core.matching.domains import domain_of
from crm_pipelines.core.matching.frames import flag, require
from crm_pipelines.core.matching.lookup import positions
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping


def company_changes(
    matched_accounts: pd.DataFrame,
    companies: pd.DataFrame,
    crm_accounts: pd.DataFrame,
    *,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
) -> FieldDifferences:
    """crm_to_app change rows for companies from their matched live Accounts (Account mappings
    are read as pull: the app never writes Accounts), plus the domain when the website changes and
    the Account's id when the company does not hold it yet.
    matched_accounts: match_accounts(...).matched (company_id, crm_account_id)."""
    settings = settings or ConnectorSettings()
    require(companies, ("company_id", "updated_at"), "companies")
    app = companies.reset_index(drop=True)
    crm = crm_accounts.reset_index(drop=True)
    app_rows = positions(matched_accounts["company_id"], app["company_id"])
    crm_rows = positions(matched_accounts["crm_account_id"], crm["id"])
    usable = (app_rows >= 0) & (crm_rows >= 0)
    usable[usable] = ~flag(crm, "is_deleted")[crm_rows[usable]]
    pull = read_as_pull(mappings, "Account")
    found = field_differences(
        LinkedRecords(app, crm, app_rows[usable], crm_rows[usable], "company", "Account", "company_id"),
        pull, settings, since=since)
    changes = concat_changes([company_link_changes(matched_accounts.loc[usable], app, crm), found.changes])
    if "domain" in app.columns:
        website = changes.loc[(changes["field"] == "website").to_numpy(dtype=bool)]
        if len(website):
            current = app["domain"].astype("string").reset_index(drop=True)
            old = current.iloc[positions(website["app_id"], app["company_id"])].reset_index(drop=True)
            new = domain_of(website["new_value"]).reset_index(drop=True)
            differs = ~((old == new).fillna(False) | (old.isna() & new.isna())).to_numpy(dtype=bool)
            domain = website.reset_index(drop=True).loc[differs].assign(
                field="domain", crm_field=pd.NA, old_value=old[differs].to_numpy(), new_value=new[differs].to_numpy())
            changes = concat_changes([changes, domain.astype({"crm_field": "string", "old_value": "string",
                                                              "new_value": "string"})])
    return FieldDifferences(changes, found.skipped_mappings)


def apply_company_changes(companies: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """companies with the crm_to_app company changes applied; idempotent."""
    return apply_changes(companies, changes, object="company", id_column="company_id")
