"""Changes a person makes in the CRM's own screens: edit, delete, hard-delete, undelete, purge from
the recycle bin, merge, change owner, convert a lead, close an opportunity.

These bypass the API's validations (an admin can do what a client cannot) and are not written to
the client write log, but they stamp LastModifiedDate and SystemModstamp like any Salesforce save,
so incremental extraction sees them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from crm_pipelines.sim.object_table import ObjectTable
from crm_pipelines.sim.derived_fields import STAGE_PROBABILITY
from crm_pipelines.sim.record_writes import coerce_value
from crm_pipelines.sim.schema import SObjectSchema, sobject
from crm_pipelines.sim.wire import ApiError

if TYPE_CHECKING:
    from crm_pipelines.sim.org_state import OrgState

_MERGEABLE = ("Account", "Contact", "Lead")
# Where records point at a merged record, so merging moves them to the survivor.
_CHILD_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"),
                ("AccountTeamMember", "AccountId"), ("Task", "WhatId"), ("Account", "ParentId")),
    "Contact": (("Task", "WhoId"), ("OpportunityContactRole", "ContactId")),
    "Lead": (("Task", "WhoId"),),
}
_SYSTEM_FIELDS = ("LastModifiedDate", "SystemModstamp")


class CrmUserActionError(Exception):
    """A control-API action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _schema(object_name: str) -> SObjectSchema:
    try:
        return sobject(object_name)
    except KeyError as exc:
        raise CrmUserActionError(404, str(exc.args[0])) from None


def _locate(org: OrgState, schema: SObjectSchema, record_id: str) -> tuple[ObjectTable, int]:
    table = org.tables[schema.name]
    position = table.position_of(record_id)
    if position is None:
        raise CrmUserActionError(404, f"org {org.name}: no {schema.name} with id {record_id}")
    return table, position


def _live(org: OrgState, schema: SObjectSchema, record_id: str) -> tuple[ObjectTable, int]:
    table, position = _locate(org, schema, record_id)
    if table.value(position, "IsDeleted"):
        raise CrmUserActionError(400, f"org {org.name}: {schema.name} {record_id} is deleted")
    return table, position


def _deleted(org: OrgState, schema: SObjectSchema, record_id: str, refusal: str) -> tuple[ObjectTable, int]:
    """A record in the recycle bin; a live one is refused, saying why (`refusal`)."""
    table, position = _locate(org, schema, record_id)
    if not table.value(position, "IsDeleted"):
        raise CrmUserActionError(400, f"org {org.name}: {schema.name} {record_id} {refusal}")
    return table, position


def _coerced(schema: SObjectSchema, fields: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in fields.items():
        if not schema.has_field(name):
            raise CrmUserActionError(400, f"{schema.name} has no field {name}")
        spec = schema.field(name)
        if spec.name == "Id":
            raise CrmUserActionError(400, "a record's Id cannot be edited")
        try:
            values[spec.name] = coerce_value(spec, raw) if not isinstance(raw, pd.Timestamp) else raw
        except ApiError as exc:
            raise CrmUserActionError(400, f"{schema.name}.{spec.name}: {exc.message}") from None
    return values


def _save(org: OrgState, schema: SObjectSchema, position: int, changes: Mapping[str, Any],
          stamp: pd.Timestamp) -> None:
    explicit = {k: v for k, v in changes.items() if k in _SYSTEM_FIELDS}
    org.update_record(schema, position, changes, stamp=stamp)
    if explicit:
        # A test may pin the system stamps, e.g. to give two records the same SystemModstamp.
        org.tables[schema.name].update(position, explicit)


def edit_record(org: OrgState, object_name: str, record_id: str, fields: Mapping[str, Any]) -> str:
    """Set any fields of a record (deleted ones too), as an admin would."""
    schema = _schema(object_name)
    with org.lock:
        _, position = _locate(org, schema, record_id)
        _save(org, schema, position, _coerced(schema, fields), org.clock.stamp())
    return record_id


def delete_record(org: OrgState, object_name: str, record_id: str) -> str:
    schema = _schema(object_name)
    with org.lock:
        _, position = _live(org, schema, record_id)
        org.update_record(schema, position, {"IsDeleted": True}, stamp=org.clock.stamp())
    return record_id


def hard_delete_record(org: OrgState, object_name: str, record_id: str) -> str:
    """Delete bypassing the recycle bin (Apex `Database.emptyRecycleBin` right after the delete,
    or a Bulk API hard delete): gone from every query at once, still in the delete log."""
    schema = _schema(object_name)
    with org.lock:
        table, position = _live(org, schema, record_id)
        org.update_record(schema, position, {"IsDeleted": True}, stamp=org.clock.stamp())
        table.purge(position)
    return record_id


def purge_record(org: OrgState, object_name: str, record_id: str) -> str:
    """Remove one deleted record from the recycle bin for good; its deletion stays in the delete log."""
    schema = _schema(object_name)
    with org.lock:
        table, position = _deleted(org, schema, record_id, "is not in the recycle bin")
        table.purge(position)
    return record_id


def empty_recycle_bin(org: OrgState, object_names: Sequence[str]) -> dict[str, int]:
    """Purge every deleted record of the given objects; returns how many per object."""
    schemas = [_schema(name) for name in object_names]
    purged: dict[str, int] = {}
    with org.lock:
        for schema in schemas:
            table = org.tables[schema.name]
            frame = table.frame()
            in_bin = frame["IsDeleted"].to_numpy(dtype=bool) & table.present()
            for position in in_bin.nonzero()[0]:
                table.purge(int(position))
            purged[schema.name] = int(in_bin.sum())
    return purged


def undelete_record(org: OrgState, object_name: str, record_id: str) -> str:
    schema = _schema(object_name)
    with org.lock:
        _, position = _deleted(org, schema, record_id, "is not deleted")
        org.update_record(schema, position, {"IsDeleted": False, "MasterRecordId": None}
                          if schema.has_field("MasterRecordId") else {"IsDeleted": False},
                          stamp=org.clock.stamp())
    return record_id


def change_owner(org: OrgState, object_name: str, record_id: str, owner_id: str) -> str:
    schema = _schema(object_name)
    if not schema.has_field("OwnerId"):
        raise CrmUserActionError(400, f"{schema.name} records have no owner")
    with org.lock:
        _live(org, sobject("User"), owner_id)
        _, position = _live(org, schema, record_id)
        org.update_record(schema, position, {"OwnerId": owner_id}, stamp=org.clock.stamp())
    return record_id


def merge_records(org: OrgState, object_name: str, master_id: str, loser_ids: Sequence[str]) -> str:
    """Merge `loser_ids` into `master_id`: losers deleted with MasterRecordId, children re-pointed."""
    schema = _schema(object_name)
    if schema.name not in _MERGEABLE:
        raise CrmUserActionError(400, f"{schema.name} records cannot be merged; only {', '.join(_MERGEABLE)}")
    if not loser_ids or master_id in loser_ids:
        raise CrmUserActionError(400, "a merge needs a master and at least one other record")
    with org.lock:
        _, master_position = _live(org, schema, master_id)
        loser_positions = [_live(org, schema, loser)[1] for loser in loser_ids]
        stamp = org.clock.stamp()
        for position in loser_positions:
            org.update_record(schema, position, {"IsDeleted": True, "MasterRecordId": master_id},
                              stamp=stamp)
        org.update_record(schema, master_position, {}, stamp=stamp)
        losers = [org.tables[schema.name].value(p, "Id") for p in loser_positions]
        for child_object, reference in _CHILD_REFERENCES[schema.name]:
            child_schema = sobject(child_object)
            child_table = org.tables[child_object]
            for position in child_table.positions_where_in(reference, losers):
                org.update_record(child_schema, int(position), {reference: master_id}, stamp=stamp)
    return master_id


def close_opportunity(org: OrgState, opportunity_id: str, won: bool) -> str:
    schema = sobject("Opportunity")
    stage = "Closed Won" if won else "Closed Lost"
    with org.lock:
        _, position = _live(org, schema, opportunity_id)
        org.update_record(schema, position,
                          {"StageName": stage, "Probability": STAGE_PROBABILITY[stage]},
                          stamp=org.clock.stamp())
    return opportunity_id


def convert_lead(org: OrgState, lead_id: str, *, account_id: str | None = None,
                 contact_id: str | None = None, create_opportunity: bool = True,
                 opportunity_name: str | None = None) -> dict[str, str | None]:
    """Convert a lead: link or create its Account and Contact, optionally an Opportunity."""
    lead_schema = sobject("Lead")
    with org.lock:
        leads, position = _live(org, lead_schema, lead_id)
        lead = leads.row(position)
        if lead["IsConverted"]:
            raise CrmUserActionError(400, f"org {org.name}: lead {lead_id} is already converted")
        stamp = org.clock.stamp()
        owner = lead["OwnerId"]
        if account_id is None:
            account_id, _ = org.insert_record(sobject("Account"), {
                "Name": lead["Company"], "Industry": lead["Industry"], "BillingCity": lead["City"],
                "BillingCountry": lead["Country"]}, owner_id=owner, stamp=stamp)
        else:
            _live(org, sobject("Account"), account_id)
        if contact_id is None:
            contact_id, _ = org.insert_record(sobject("Contact"), {
                "AccountId": account_id, "FirstName": lead["FirstName"],
                "LastName": lead["LastName"], "Email": lead["Email"], "Title": lead["Title"],
                "Phone": lead["Phone"], "MailingCity": lead["City"], "MailingCountry": lead["Country"],
                "LeadSource": lead["LeadSource"], "HasOptedOutOfEmail": lead["HasOptedOutOfEmail"],
                "Lead_Score__c": lead["Lead_Score__c"], "Persona__c": lead["Persona__c"],
                "Region__c": lead["Region__c"]}, owner_id=owner, stamp=stamp)
        else:
            _, contact_position = _live(org, sobject("Contact"), contact_id)
            org.update_record(sobject("Contact"), contact_position, {"AccountId": account_id},
                              stamp=stamp)
        opportunity_id = None
        if create_opportunity:
            close_date = stamp.tz_convert("UTC").tz_localize(None).normalize() + pd.Timedelta(days=30)
            opportunity_id, _ = org.insert_record(sobject("Opportunity"), {
                "Name": opportunity_name or f"{lead['Company']}-", "AccountId": account_id,
                "StageName": "Prospecting", "CloseDate": close_date}, owner_id=owner, stamp=stamp)
        org.update_record(lead_schema, position, {
            "IsConverted": True, "Status": "Closed - Converted",
            "ConvertedDate": stamp.tz_convert("UTC").tz_localize(None).normalize(),
            "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
            "ConvertedOpportunityId": opportunity_id}, stamp=stamp)
    return {"leadId": lead_id, "accountId": account_id, "contactId": contact_id,
            "opportunityId": opportunity_id}


def create_record(org: OrgState, object_name: str, fields: Mapping[str, Any]) -> str:
    """Create a record as a CRM user (owned by the integration user unless OwnerId is given)."""
    schema = _schema(object_name)
    with org.lock:
        values = _coerced(schema, fields)
        owner = values.pop("OwnerId", None) or (
            org.integration_user_id() if schema.has_field("OwnerId") else None)
        record_id, _ = org.insert_record(schema, values, owner_id=owner, stamp=org.clock.stamp())
    return record_id
