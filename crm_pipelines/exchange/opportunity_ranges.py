"""The opportunity sync a key range of CRM ids at a time (issue 17).

The app's read-only copies of a large org's Opportunities were computed from every column of
every Opportunity and every copy at once, with the change rows of all of them beside: about 4 KB
an Opportunity, 1.6 GB above the process's baseline at 420,000. Here the whole org is held only
as the few columns that decide its stages; each range of ids is then read whole (the CRM's
records and the copies that store one of its ids), compared, and its changed copies and their log
rows written, all within one transaction: the app shows the sync whole or not at all, as before,
while only a range is held.

Each range's comparison is the one of core.field_sync.opportunities, given the stages the whole
org names (created first, each once, with the flags of its most recently modified opportunity),
so the ranges leave what one comparison of everything leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from crm_pipelines.core.field_sync import (
    apply_opportunity_sync,
    connector_log_rows,
    log_summary,
    new_opportunity_stages,
    sync_opportunities,
)
from crm_pipelines.settings import ConnectorSettings, FieldMapping
from crm_pipelines.store.app_data import SomeAppRows, replace_app_rows
from crm_pipelines.store.bulk import insert_frame
from crm_pipelines.store.connector_log import insert_log_rows
from crm_pipelines.store.io_manager import TENANT_COLUMN
from crm_pipelines.store.key_ranges import KeyRange, read_key_range
from crm_pipelines.store.tables import app_opportunities

# Log rows kept for the run's preview (as many as an asset's metadata shows).
PREVIEW_ROWS = 20
# What the whole org is held as: the stages it names and the ids its ranges are cut from.
OPPORTUNITY_PLACES = ("id", "stage_name", "is_closed", "is_won", "last_modified_date", "is_deleted")


def opportunity_ranges(ids: pd.Series, range_records: int) -> list[KeyRange | None]:
    """Ranges of `range_records` consecutive ids (as the database orders them: `ids` in key
    order); one range of everything (None) when they fit in one or `range_records` is 0."""
    if range_records <= 0 or len(ids) <= range_records:
        return [None]
    return [KeyRange.spanning(ids, start, min(len(ids), start + range_records))
            for start in range(0, len(ids), range_records)]


@dataclass
class OpportunityTotals:
    """What a ranged run applied, for its metadata."""

    changes_applied: int = 0
    records_changed: int = 0
    records_created: int = 0
    copies_removed: int = 0
    stages_created: int = 0
    ranges: int = 0
    log_rows: int = 0
    skipped_mappings: tuple[FieldMapping, ...] = ()
    summaries: list[pd.DataFrame] = field(default_factory=list)
    preview: list[pd.DataFrame] = field(default_factory=list)

    def add(self, changes: pd.DataFrame, rows: pd.DataFrame) -> None:
        self.changes_applied += len(changes)
        if rows.empty:
            return
        self.log_rows += len(rows)
        self.records_changed += int(rows["app_id"].nunique())
        self.records_created += int(rows.loc[rows["reason"] == "created_in_crm", "app_id"].nunique())
        self.summaries.append(log_summary(rows))
        shown = sum(len(p) for p in self.preview)
        if shown < PREVIEW_ROWS:
            self.preview.append(rows.drop(columns=["at"]).head(PREVIEW_ROWS - shown))

    def preview_rows(self) -> pd.DataFrame:
        """The first log rows written, without their time."""
        return pd.concat(self.preview, ignore_index=True) if self.preview else pd.DataFrame()

    def log_summary(self) -> pd.DataFrame:
        if not self.summaries:
            return pd.DataFrame(columns=["object", "direction", "reason", "changes"])
        counts = pd.concat(self.summaries, ignore_index=True).groupby(["object", "direction", "reason"],
                                                                     dropna=False)["changes"].sum()
        return counts.reset_index().sort_values(["object", "direction", "reason"], ignore_index=True)


def sync_opportunity_ranges(
    conn: Connection, tenant_id: str, places: pd.DataFrame, *, range_records: int,
    company_of_account: pd.DataFrame, app_campaigns: pd.DataFrame, mappings: Sequence[FieldMapping],
    settings: ConnectorSettings, at: datetime, run_id: str | None, batch: str,
) -> OpportunityTotals:
    """Sync the tenant's copies of its CRM Opportunities, a key range at a time, within `conn`'s
    transaction: new stages, copies created, updated and removed, each change's log row (batch
    `batch`, at `at`). places: OPPORTUNITY_PLACES of every extracted Opportunity, in key order."""
    totals = OpportunityTotals()
    stages = _app_rows(conn, tenant_id, "opportunity_stages", None)
    found = new_opportunity_stages(places, stages)
    stages = found.stages_after(stages)
    totals.stages_created = len(found.new_stages)
    _log(conn, tenant_id, totals, found.changes, at=at, run_id=run_id, batch=f"{batch}/stages")
    for number, ids in enumerate(opportunity_ranges(places["id"], range_records)):
        crm = read_key_range(conn, "crm_opportunities", tenant_id, "id", ids)
        copies = _app_rows(conn, tenant_id, "app_opportunities", ids)
        sync = sync_opportunities(crm, copies, stages, company_of_account=company_of_account,
                                  app_campaigns=app_campaigns, mappings=mappings, settings=settings)
        updated, stages = apply_opportunity_sync(copies, stages, sync)
        totals.stages_created += len(sync.new_stages)  # named by a record extracted since `places` was read
        _write_copies(conn, tenant_id, copies, updated, sync.changes)
        _log(conn, tenant_id, totals, sync.changes, at=at, run_id=run_id, batch=f"{batch}/range-{number:05d}")
        totals.copies_removed += len(sync.removed)
        totals.skipped_mappings = sync.skipped_mappings
        totals.ranges += 1
    replace_app_rows(conn, tenant_id, {"opportunity_stages": stages})
    return totals


def _write_copies(conn: Connection, tenant_id: str, copies: pd.DataFrame, updated: pd.DataFrame,
                  changes: pd.DataFrame) -> None:
    """The range's copies that its changes name: those it read replaced (or removed), the new ones
    inserted. New ones are never looked for among the stored: a statement deleting ids that are
    not there is not free (on PostgreSQL, one planned while the table was empty, as in a first
    run's transaction, scans every row the run has inserted since, for each id)."""
    touched = changes.loc[changes["object"] == "opportunity", "app_id"].astype("string").unique()
    ids = updated["opportunity_id"].astype("string")
    stored = ids.isin(copies["opportunity_id"].astype("string"))
    named = ids.isin(touched)
    replaced = pd.Series(touched).loc[lambda t: t.isin(copies["opportunity_id"].astype("string"))].tolist()
    replace_app_rows(conn, tenant_id, {"app_opportunities": SomeAppRows(updated.loc[named & stored], replaced)})
    insert_frame(conn, app_opportunities, updated.loc[named & ~stored].assign(**{TENANT_COLUMN: tenant_id}),
                 context=f"tenant '{tenant_id}', app table 'app_opportunities'")


def _app_rows(conn: Connection, tenant_id: str, name: str, crm_ids: KeyRange | None) -> pd.DataFrame:
    """The tenant's rows of app table `name` (without the tenant), those storing a CRM id in
    `crm_ids` for the copies (None: every row)."""
    rows = read_key_range(conn, name, tenant_id, "crm_opportunity_id", crm_ids)
    return rows.drop(columns=[TENANT_COLUMN])


def _log(conn: Connection, tenant_id: str, totals: OpportunityTotals, changes: pd.DataFrame, *, at: datetime,
         run_id: str | None, batch: str) -> None:
    rows = connector_log_rows(changes, at=at)
    insert_log_rows(conn, tenant_id, rows, run_id=run_id, batch=batch)
    totals.add(changes, rows)
