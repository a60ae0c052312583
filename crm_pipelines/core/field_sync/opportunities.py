"""F5: the app keeps a read-only copy of each CRM Opportunity, linked to its company (through
the matched Accounts), its campaign (through the campaigns' CRM ids) and its stage.

A stage the app does not know yet is created, with the id `crm-<slug of the name>`: stage
names are compared by that slug (case, spaces and punctuation ignored), so "Closed Won" and
"closed-won" are one stage. Its closed and won flags come from the most recently modified
opportunity in it. Copies of opportunities deleted in the CRM are removed. The Opportunity
mappings decide which other fields are copied; a two-way mapping is read as pull, since the
app never writes opportunities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_pipelines.core.field_sync.apply import apply_changes
from crm_pipelines.core.field_sync.changes import CRM_TO_APP, change_rows, concat_changes
from crm_pipelines.core.field_sync.creations import created_values
from crm_pipelines.core.field_sync.field_differences import LinkedRecords, field_differences
from crm_pipelines.core.field_sync.read_only import read_as_pull
from crm_pipelines.core.field_sync.values import canonical, encode, same
from crm_pipelines.core.matching.frames import changed_at, flag, require, utc_aware, utc_instant, utc_naive
from crm_pipelines.core.matching.lookup import positions, taken
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from crm_pipelines.settings.fields import OPPORTUNITY_FIELDS, FieldType

NEW_OPPORTUNITY_PREFIX = "crm-"
NEW_STAGE_PREFIX = "crm-"

# The links every copy carries, whatever the mappings say: (app column, CRM field, type).
_LINKS: tuple[tuple[str, str, FieldType], ...] = (
    ("company_id", "AccountId", "string"),
    ("campaign_id", "CampaignId", "string"),
    ("stage_id", "StageName", "string"),
    ("is_closed", "IsClosed", "boolean"),
    ("is_won", "IsWon", "boolean"),
)


@dataclass(frozen=True)
class OpportunitySync:
    """changes: crm_to_app rows for app_opportunities (object opportunity; new copies under
    `crm-<CRM id>`; a row with no field and reason deleted_in_crm removes a copy) and for new
    stages (object opportunity_stage, one row per stage giving its name).
    new_stages: stage_id, name, is_closed, is_won to add to opportunity_stages.
    removed: opportunity_id, crm_opportunity_id of copies whose CRM record was deleted.
    skipped_mappings: mappings whose CRM field was not extracted."""

    changes: pd.DataFrame
    new_stages: pd.DataFrame
    removed: pd.DataFrame
    skipped_mappings: tuple[FieldMapping, ...]


@dataclass(frozen=True)
class StageSync:
    """new_stages: stage_id, name, is_closed, is_won to add to opportunity_stages.
    changes: their crm_to_app rows (object opportunity_stage, one per stage giving its name)."""

    new_stages: pd.DataFrame
    changes: pd.DataFrame

    def stages_after(self, opportunity_stages: pd.DataFrame) -> pd.DataFrame:
        """opportunity_stages with the new stages added. Idempotent."""
        return _with_stages(opportunity_stages, self.new_stages)


def new_opportunity_stages(crm_opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame) -> StageSync:
    """The stages the live CRM opportunities name that the app does not know yet, each with the
    flags of its most recently modified opportunity. Computed over the whole org (its stage names
    and flags only), so a sync of the opportunities a key range at a time, given the stages after
    this, creates each stage once and with the same flags as a sync of them all at once.
    crm_opportunities: id, stage_name, last_modified_date, is_closed, is_won (is_deleted if any)."""
    require(crm_opportunities, ("id", "stage_name", "last_modified_date"), "crm_opportunities")
    crm = crm_opportunities.reset_index(drop=True)
    new_stages, _ = _stages(crm, ~flag(crm, "is_deleted"), opportunity_stages)
    return StageSync(new_stages, _stage_rows(new_stages))


def stage_keys(names: pd.Series) -> pd.Series:
    """The slug stage names are compared by: lowercase, runs of anything else than letters and
    digits as one `-`. NA for a blank name."""
    slug = names.astype("string").str.lower().str.replace(r"[^\w]+|_+", "-", regex=True).str.strip("-")
    return slug.mask(slug == "")


def sync_opportunities(
    crm_opportunities: pd.DataFrame,
    app_opportunities: pd.DataFrame,
    opportunity_stages: pd.DataFrame,
    *,
    company_of_account: pd.DataFrame,
    app_campaigns: pd.DataFrame,
    mappings: Sequence[FieldMapping] = DEFAULT_FIELD_MAPPINGS,
    settings: ConnectorSettings | None = None,
    since: pd.Timestamp | None = None,
) -> OpportunitySync:
    """crm_opportunities: the extracted table. app_opportunities, opportunity_stages,
    app_campaigns: the app's tables. company_of_account: matching.company_of_account(...)
    (crm_account_id, company_id). since: the last sync (None: every opportunity)."""
    settings = settings or ConnectorSettings()
    require(crm_opportunities, ("id", "stage_name", "account_id", "campaign_id", "last_modified_date"),
            "crm_opportunities")
    require(app_opportunities, ("opportunity_id", "crm_opportunity_id", "stage_id", "updated_at"), "app_opportunities")
    crm = crm_opportunities.reset_index(drop=True)
    app = app_opportunities.reset_index(drop=True)
    live = ~flag(crm, "is_deleted")
    window = live if since is None else live & (changed_at(crm) > utc_instant(since))

    new_stages, stage_ids = _stages(crm, window, opportunity_stages)
    links = _link_values(crm, stage_ids, company_of_account, app_campaigns)
    app_rows = positions(crm["id"], app["crm_opportunity_id"])
    existing = np.flatnonzero(window & (app_rows >= 0))
    created = np.flatnonzero(window & (app_rows < 0))
    # The stage comes with the links.
    pull = [m for m in read_as_pull(mappings, "Opportunity") if m.app_field != "stage"]
    found = field_differences(
        LinkedRecords(app, crm, app_rows[existing], existing, "opportunity", "Opportunity", "opportunity_id"),
        pull, settings)
    changes = concat_changes([
        _stage_rows(new_stages),
        _copies_created(app, crm, links, created, pull),
        _link_changes(app, crm, links, existing, app_rows[existing], None, "linked_in_crm"),
        found.changes,
    ])
    removed, removals = _copies_removed(app, crm, app_rows, live)
    return OpportunitySync(concat_changes([changes, removals]), new_stages, removed, found.skipped_mappings)



def _copies_created(app: pd.DataFrame, crm: pd.DataFrame, links: dict[str, pd.Series], created: np.ndarray,
                    pull: Sequence[FieldMapping]) -> pd.DataFrame:
    """A new copy, `crm-<CRM id>`, of each opportunity at `created`: its id, mapped values and links."""
    new_ids = NEW_OPPORTUNITY_PREFIX + crm["id"].astype("string").iloc[created].reset_index(drop=True)
    at_created = utc_aware(utc_naive(crm["last_modified_date"])[created])
    return concat_changes([
        change_rows(object="opportunity", app_id=new_ids, crm_type="Opportunity", crm_id=crm["id"].iloc[created],
                    field="crm_opportunity_id", crm_field="Id", field_type="string", old_value=None,
                    new_value=crm["id"].iloc[created], direction=CRM_TO_APP, reason="created_in_crm", at=at_created),
        created_values(app_object="opportunity", crm_object="Opportunity", crm=crm, crm_rows=created,
                       new_ids=new_ids, mappings=pull, field_types=OPPORTUNITY_FIELDS,
                       app_columns=list(app.columns), at=at_created),
        _link_changes(app, crm, links, created, None, new_ids, "created_in_crm"),
    ])


def _copies_removed(app: pd.DataFrame, crm: pd.DataFrame, app_rows: np.ndarray,
                    live: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The copies whose CRM record was deleted (opportunity_id, crm_opportunity_id), and their
    deleted_in_crm change rows."""
    gone = np.flatnonzero(~live & (app_rows >= 0))
    removed = pd.DataFrame({
        "opportunity_id": app["opportunity_id"].astype("string").iloc[app_rows[gone]].to_numpy(),
        "crm_opportunity_id": crm["id"].astype("string").iloc[gone].to_numpy(),
    }).astype("string")
    removals = change_rows(
        object="opportunity", app_id=removed["opportunity_id"], crm_type="Opportunity",
        crm_id=removed["crm_opportunity_id"], field=None, crm_field=None, field_type="string", old_value=None,
        new_value=None, direction=CRM_TO_APP, reason="deleted_in_crm",
        at=utc_aware(changed_at(crm)[gone]))
    return removed, removals


def apply_opportunity_sync(
    app_opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, sync: OpportunitySync
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(app_opportunities, opportunity_stages) after the sync: new stages added, copies created,
    updated and removed. Idempotent."""
    stages = _with_stages(opportunity_stages, sync.new_stages)
    return apply_changes(app_opportunities, sync.changes, object="opportunity", id_column="opportunity_id"), stages


def _with_stages(opportunity_stages: pd.DataFrame, new_stages: pd.DataFrame) -> pd.DataFrame:
    known = positions(new_stages["stage_id"], opportunity_stages["stage_id"]) >= 0
    if not (~known).any():
        return opportunity_stages
    return pd.concat([opportunity_stages, new_stages.loc[~known]], ignore_index=True)


def _stages(crm: pd.DataFrame, window: np.ndarray, stages: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """New stage rows, and the stage id of every CRM opportunity (NA without a stage name)."""
    keys = stage_keys(crm["stage_name"]).reset_index(drop=True)
    known_keys = stage_keys(stages["name"]).reset_index(drop=True)
    at_known = positions(keys, known_keys)
    stage_ids = taken(stages["stage_id"], at_known)
    unknown = window & (at_known < 0) & keys.notna().to_numpy()
    candidates = pd.DataFrame({
        "key": keys[unknown].to_numpy(),
        "name": crm["stage_name"].astype("string")[unknown].to_numpy(),
        "is_closed": flag(crm, "is_closed")[unknown],
        "is_won": flag(crm, "is_won")[unknown],
        "modified": utc_naive(crm["last_modified_date"])[unknown],
        "id": crm["id"].astype("string")[unknown].to_numpy(),
    }).sort_values(["key", "modified", "id"], ascending=[True, False, True], kind="stable")
    first = candidates.drop_duplicates("key")
    new_stages = pd.DataFrame({
        "stage_id": (NEW_STAGE_PREFIX + first["key"].astype("string")).to_numpy(),
        "name": first["name"].to_numpy(),
        "is_closed": first["is_closed"].to_numpy(dtype=bool),
        "is_won": first["is_won"].to_numpy(dtype=bool),
    }).astype({"stage_id": "string", "name": "string"})
    new_id = (NEW_STAGE_PREFIX + keys).astype("string")
    return new_stages, stage_ids.fillna(new_id.where(keys.notna()))


def _stage_rows(new_stages: pd.DataFrame) -> pd.DataFrame:
    return change_rows(
        object="opportunity_stage", app_id=new_stages["stage_id"], crm_type="Opportunity", crm_id=None,
        field="name", crm_field="StageName", field_type="string", old_value=None, new_value=new_stages["name"],
        direction=CRM_TO_APP, reason="created_in_crm", at=None)


def _link_values(crm: pd.DataFrame, stage_ids: pd.Series, company_of_account: pd.DataFrame,
                 app_campaigns: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "company_id": taken(company_of_account["company_id"],
                            positions(crm["account_id"], company_of_account["crm_account_id"])),
        "campaign_id": taken(app_campaigns["campaign_id"],
                             positions(crm["campaign_id"], app_campaigns["crm_campaign_id"])),
        "stage_id": stage_ids.reset_index(drop=True),
        "is_closed": canonical(crm["is_closed"], "boolean") if "is_closed" in crm else None,
        "is_won": canonical(crm["is_won"], "boolean") if "is_won" in crm else None,
    }


def _link_changes(app: pd.DataFrame, crm: pd.DataFrame, links: dict[str, pd.Series], crm_rows: np.ndarray,
                  app_rows: np.ndarray | None, new_ids: pd.Series | None, reason: str) -> pd.DataFrame:
    at = utc_aware(utc_naive(crm["last_modified_date"])[crm_rows])
    crm_ids = crm["id"].astype("string").iloc[crm_rows].reset_index(drop=True)
    if app_rows is None:
        app_ids = new_ids
    else:
        app_ids = app["opportunity_id"].astype("string").iloc[app_rows].reset_index(drop=True)
    parts = []
    for column, crm_field, field_type in _LINKS:
        if links.get(column) is None or column not in app.columns:
            continue
        new = canonical(links[column].iloc[crm_rows], field_type)
        if app_rows is None:
            old = canonical(pd.Series(pd.NA, index=range(len(crm_rows)), dtype="string"), field_type)
        else:
            old = canonical(app[column].iloc[app_rows], field_type)
        differs = ~same(old, new, field_type)
        parts.append(change_rows(
            object="opportunity", app_id=app_ids[differs], crm_type="Opportunity", crm_id=crm_ids[differs],
            field=column, crm_field=crm_field, field_type=field_type, old_value=encode(old[differs], field_type),
            new_value=encode(new[differs], field_type), direction=CRM_TO_APP, reason=reason, at=at[differs]))
    return concat_changes(parts)
