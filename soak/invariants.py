"""What must hold after any number of sync and push cycles, computed from the simulator's own
records and the app's tables, never from the pipeline's bookkeeping (cursors, ledger, log)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crm_pipelines.store.app_data import read_app_table
from crm_pipelines.store.auto_save_lists import read_lists
from crm_pipelines.store.crm_records import read_records
from crm_pipelines.core.crm_objects import BY_NAME
from crm_pipelines.store.database import Database
from soak.edits import TWO_WAY_FIELDS, Expectations
from soak.simulator_control import SimControl


@dataclass
class Check:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def line(self) -> str:
        verdict = "ok" if self.ok else f"FAILED ({len(self.violations)})"
        shown = "".join(f"\n      {v}" for v in self.violations[:8])
        return f"  {verdict:<12} {self.name}: {self.checked} checked{shown}"


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[~frame["IsDeleted"].fillna(False).astype(bool)] if len(frame) else frame


def _normalized(emails: pd.Series) -> set[str]:
    return {str(e).strip().lower() for e in emails.dropna() if str(e).strip()}


def crm_emails(sim: SimControl) -> set[str]:
    """Normalized emails of every live Lead and Contact in the org now."""
    return _normalized(pd.concat([_live(sim.rows("Lead"))["Email"], _live(sim.rows("Contact"))["Email"]]))


def two_way_fields_hold_the_newest_edit(sim: SimControl, db: Database, tenant: str, expect: Expectations) -> Check:
    check = Check("every two-way field equals the newest edit on both sides")
    crm = {t: sim.rows(t).set_index("Id") for t in ("Lead", "Contact")}
    prospects = read_app_table(db, tenant, "prospects")
    prospects = prospects.loc[~prospects["is_deleted"].fillna(False).astype(bool)].set_index("crm_id")
    for edit in expect.live():
        record = crm[edit.crm_type].loc[edit.crm_id]
        if bool(record.get("IsDeleted")) or bool(record.get("IsConverted", False)):
            continue  # a CRM user retired it by other means (a merge): no field to agree on
        check.checked += 1
        crm_value = record[TWO_WAY_FIELDS[edit.app_field][edit.crm_type]]
        if crm_value != edit.value:
            check.violations.append(f"CRM {edit.crm_type} {edit.crm_id}.{edit.app_field} = {crm_value!r}, newest edit "
                                    f"({edit.side} at {edit.at}) was {edit.value!r}")
        if edit.crm_id not in prospects.index:
            check.violations.append(f"no live prospect holds CRM {edit.crm_type} {edit.crm_id} any more")
            continue
        app_values = prospects.loc[[edit.crm_id], edit.app_field]
        if (app_values != edit.value).any():
            check.violations.append(f"app prospect of {edit.crm_id}.{edit.app_field} = {list(app_values)!r}, newest "
                                    f"edit ({edit.side} at {edit.at}) was {edit.value!r}")
    return check


def no_duplicate_lead_or_contact_created(sim: SimControl, emails_before: set[str], expect: Expectations,
                                         db: Database, tenant: str) -> Check:
    check = Check("no duplicate Lead or Contact was created")
    created = sim.rows("Lead")
    created = created.loc[created["App_External_Id__c"].notna()] if "App_External_Id__c" in created else created.iloc[:0]
    counts = sim.external_ids("Lead")
    for external_id, count in counts.items():
        check.checked += 1
        if count.get("creates", 0) != 1 or count.get("records", 1) != 1:
            check.violations.append(f"Lead {external_id} created {count.get('creates')} times ({count.get('records')} records)")
    known = emails_before | expect.crm_created_emails
    for lead in created.itertuples():
        email = str(lead.Email).strip().lower() if isinstance(lead.Email, str) else ""
        if email and email in known:
            check.violations.append(f"Lead {lead.Id} ({lead.App_External_Id__c}) duplicates the existing CRM "
                                    f"record with email {email}")
    prospects = read_app_table(db, tenant, "prospects")
    new = prospects.loc[prospects["prospect_id"].str.startswith("p-soak-new-")]
    for prospect in new.itertuples():
        check.checked += 1
        if not isinstance(prospect.crm_id, str):
            check.violations.append(f"new prospect {prospect.prospect_id} never reached the CRM")
    return check


def every_event_in_the_crm_once(sim: SimControl, db: Database, tenant: str) -> Check:
    check = Check("every app event that should be pushed is in the CRM exactly once")
    events = read_app_table(db, tenant, "activity_events")
    prospects = read_app_table(db, tenant, "prospects").set_index("prospect_id")
    live_ids = set(_live(sim.rows("Lead"))["Id"]) | set(_live(sim.rows("Contact"))["Id"])
    tasks = sim.external_ids("Task")
    for event in events.itertuples():
        key = f"event:{event.event_id}"
        count = tasks.get(key)
        if count is not None and (count.get("creates", 0) > 1 or count.get("records", 1) > 1):
            check.violations.append(f"{key} is in the CRM {count.get('records')} times ({count.get('creates')} creates)")
        prospect = prospects.loc[event.prospect_id] if event.prospect_id in prospects.index else None
        if prospect is None or bool(prospect["is_deleted"]) or prospect["crm_id"] not in live_ids:
            continue  # waits for its prospect's CRM record (P1), or that record is gone
        check.checked += 1
        if count is None:
            check.violations.append(f"{key} (prospect {event.prospect_id}, CRM {prospect['crm_id']}) never reached the CRM")
    return check


def no_deleted_record_live(sim: SimControl, db: Database, tenant: str) -> Check:
    """Deleted is what the simulator holds: IsDeleted (the recycle bin), or no record at all (hard
    deleted or purged). Such a record must be flagged in the warehouse, and on no list at all: it
    leaves the lists at the rebuild (issue 14), so a list row of it is a violation whatever its flag."""
    check = Check("no deleted CRM record is live in the warehouse or on a list")
    lists = read_lists(db, tenant)
    for sobject in ("Account", "Contact", "Lead"):
        in_crm = sim.rows(sobject)
        deleted = set(in_crm.loc[in_crm["IsDeleted"].fillna(False).astype(bool), "Id"])
        warehouse = read_records(db, BY_NAME[sobject], tenant)
        gone = set(warehouse["id"]) - set(in_crm["Id"])  # purged from the recycle bin
        rows = warehouse.loc[warehouse["id"].isin(deleted | gone)]
        check.checked += len(rows)
        for row in rows.loc[~rows["is_deleted"].astype(bool)].itertuples():
            check.violations.append(f"{sobject} {row.id} is deleted in the CRM but live in the warehouse")
        items = lists.loc[lists["record_type"] == sobject]
        check.checked += len(items)
        dead = items.loc[items["crm_id"].isin(deleted) | ~items["crm_id"].isin(set(in_crm["Id"]))]
        for item in dead.itertuples():
            how = "in its recycle bin" if item.crm_id in deleted else "deleted for good"
            check.violations.append(f"{sobject} {item.crm_id} ({how}) is on {item.user_id}'s {item.list} list")
    return check


def no_converted_lead_on_a_list(sim: SimControl, db: Database, tenant: str) -> Check:
    check = Check("no converted Lead is a list item (X5)")
    leads = sim.rows("Lead")
    converted = set(leads.loc[leads["IsConverted"].fillna(False).astype(bool), "Id"])
    lists = read_lists(db, tenant)
    check.checked = len(converted)
    for item in lists.loc[lists["crm_id"].isin(converted)].itertuples():
        check.violations.append(f"converted Lead {item.crm_id} is on {item.user_id}'s {item.list} list")
    return check
