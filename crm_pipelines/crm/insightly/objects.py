"""Which Insightly object and field each of the pipeline's objects and fields is.

The pipeline names objects and fields as the warehouse does (core/crm_objects.py: Salesforce's
names); Insightly's are UPPER_SNAKE on their own paths. Account is Insightly's Organisation, and
an opportunity's contacts with their roles (its LINKS to contacts) are the pipeline's
OpportunityContactRole. What Insightly keeps as lists of its own (lead statuses and sources,
pipeline stages) travels as ids and is named through those lists (`Picklists`).

Campaign and AccountTeamMember have no counterpart in Insightly's API: the adapter says so
(`LACKING`), and the extraction skips them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The pipeline's objects Insightly has no counterpart of, and why, for the run's log.
LACKING: dict[str, str] = {
    "Campaign": "Insightly's API has no campaigns",
    "AccountTeamMember": "Insightly's organisations have no account teams",
}

# The pipeline object behind an opportunity's links to its contacts.
CONTACT_ROLE = "OpportunityContactRole"


@dataclass(frozen=True)
class InsightlyObject:
    """One Insightly object as the pipeline sees it. `fields`: the pipeline's field → Insightly's,
    for values copied as they are (ids and times are converted by the field's kind); `writable`:
    those Insightly takes on a create or update."""

    name: str                 # the pipeline's: "Account"
    path: str                 # Insightly's: "Organisations"
    id_field: str             # "ORGANISATION_ID"
    fields: dict[str, str]
    writable: frozenset[str] = frozenset()
    has_custom_fields: bool = True
    # Derived by the adapter rather than copied: named here so describe lists them.
    derived: tuple[str, ...] = ()
    # What the pipeline sends that Insightly has no place for, left out of the write rather than
    # refusing it (a Task's Type and WhatId), with why, for the README's table.
    left_out: frozenset[str] = frozenset()

    def served_fields(self) -> list[str]:
        return ["Id", *self.fields, *self.derived]


_STAMPS = {"CreatedDate": "DATE_CREATED_UTC", "SystemModstamp": "DATE_UPDATED_UTC",
           "LastModifiedDate": "DATE_UPDATED_UTC"}
_PERSON_WRITES = frozenset({"FirstName", "LastName", "Email", "Title", "Phone", "HasOptedOutOfEmail", "OwnerId"})

OBJECTS: dict[str, InsightlyObject] = {o.name: o for o in (
    InsightlyObject(
        "User", "Users", "USER_ID",
        {**_STAMPS, "FirstName": "FIRST_NAME", "LastName": "LAST_NAME", "Email": "EMAIL_ADDRESS",
         "Username": "EMAIL_ADDRESS", "IsActive": "ACTIVE"},
        has_custom_fields=False, derived=("Name",),
    ),
    InsightlyObject(
        "Account", "Organisations", "ORGANISATION_ID",
        {**_STAMPS, "Name": "ORGANISATION_NAME", "Website": "WEBSITE", "BillingCity": "ADDRESS_BILLING_CITY",
         "BillingCountry": "ADDRESS_BILLING_COUNTRY", "OwnerId": "OWNER_USER_ID"},
        writable=frozenset({"Name", "Website", "BillingCity", "BillingCountry", "OwnerId"}),
        derived=("IsDeleted",),
    ),
    InsightlyObject(
        "Contact", "Contacts", "CONTACT_ID",
        {**_STAMPS, "FirstName": "FIRST_NAME", "LastName": "LAST_NAME", "Email": "EMAIL_ADDRESS",
         "Title": "TITLE", "Phone": "PHONE", "MailingCity": "ADDRESS_MAIL_CITY",
         "MailingCountry": "ADDRESS_MAIL_COUNTRY", "AccountId": "ORGANISATION_ID",
         "HasOptedOutOfEmail": "EMAIL_OPTED_OUT", "OwnerId": "OWNER_USER_ID"},
        writable=_PERSON_WRITES | {"MailingCity", "MailingCountry", "AccountId"},
        derived=("Name", "IsDeleted"),
    ),
    InsightlyObject(
        "Lead", "Leads", "LEAD_ID",
        {**_STAMPS, "FirstName": "FIRST_NAME", "LastName": "LAST_NAME", "Email": "EMAIL",
         "Company": "ORGANISATION_NAME", "Title": "TITLE", "Phone": "PHONE", "Industry": "INDUSTRY",
         "City": "ADDRESS_CITY", "Country": "ADDRESS_COUNTRY", "HasOptedOutOfEmail": "EMAIL_OPTED_OUT",
         "OwnerId": "OWNER_USER_ID", "IsConverted": "CONVERTED", "ConvertedDate": "CONVERTED_DATE_UTC",
         "ConvertedContactId": "CONVERTED_CONTACT_ID", "ConvertedAccountId": "CONVERTED_ORGANISATION_ID",
         "ConvertedOpportunityId": "CONVERTED_OPPORTUNITY_ID"},
        writable=_PERSON_WRITES | {"Company", "Industry", "City", "Country", "Status", "LeadSource"},
        derived=("Name", "Status", "LeadSource", "IsDeleted"),
    ),
    InsightlyObject(
        "Opportunity", "Opportunities", "OPPORTUNITY_ID",
        {**_STAMPS, "Name": "OPPORTUNITY_NAME", "AccountId": "ORGANISATION_ID", "OwnerId": "OWNER_USER_ID",
         "CloseDate": "FORECAST_CLOSE_DATE", "Amount": "BID_AMOUNT", "Probability": "PROBABILITY"},
        writable=frozenset({"Name", "AccountId", "OwnerId", "CloseDate", "Amount", "Probability"}),
        derived=("StageName", "IsClosed", "IsWon", "IsDeleted"),
    ),
    # The app's activity (P1, P2), written only: its WhoId and WhoType become the task's LINKS.
    # Type has no counterpart (Insightly's task categories are the org's own), and WhatId cannot
    # be linked without its object, which the pipeline does not send.
    InsightlyObject(
        "Task", "Tasks", "TASK_ID",
        {**_STAMPS, "Subject": "TITLE", "Description": "DETAILS", "ActivityDate": "DUE_DATE", "Status": "STATUS",
         "Priority": "PRIORITY", "OwnerId": "OWNER_USER_ID"},
        writable=frozenset({"Subject", "Description", "ActivityDate", "Status", "Priority", "OwnerId", "WhoId",
                            "WhoType"}),
        left_out=frozenset({"Type", "WhatId"}),
    ),
    # An opportunity's links to its contacts; read through the opportunities, never written.
    InsightlyObject(
        CONTACT_ROLE, "Opportunities", "OPPORTUNITY_ID", {},
        has_custom_fields=False,
        derived=("CreatedDate", "LastModifiedDate", "SystemModstamp", "OpportunityId", "ContactId", "Role",
                 "IsPrimary", "IsDeleted"),
    ),
)}


# Salesforce's task statuses and priorities, as Insightly spells them.
TASK_STATUSES = {"Not Started": "NOT STARTED", "In Progress": "IN PROGRESS", "Completed": "COMPLETED",
                 "Waiting on someone else": "WAITING", "Deferred": "DEFERRED"}
TASK_PRIORITIES = {"Low": 1, "Normal": 2, "High": 3}


@dataclass
class Picklists:
    """Insightly's own lists, id → name: lead statuses and sources, the pipeline's stages."""

    lead_statuses: dict[int, str] = field(default_factory=dict)
    lead_sources: dict[int, str] = field(default_factory=dict)
    stages: dict[int, str] = field(default_factory=dict)


def stage_name(state: str | None, stage_id: int | None, picklists: Picklists) -> str | None:
    """An open opportunity's stage is its pipeline stage; a closed one has none in Insightly, only
    its state (WON, LOST, ABANDONED, SUSPENDED), named as a closing stage."""
    state = (state or "OPEN").upper()
    if state != "OPEN":
        return f"Closed {state.title()}"
    return picklists.stages.get(stage_id) if stage_id is not None else None


def full_name(first: object, last: object) -> str | None:
    name = " ".join(str(part) for part in (first, last) if part)
    return name or None
