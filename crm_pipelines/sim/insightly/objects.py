"""The Insightly objects the simulator serves, each a view of one object of the org's tables.

Account is Organisation, Contact and Lead keep their names, Opportunity keeps its own, User is
Users and Task is Tasks. Salesforce's custom fields (`__c`) are Insightly's custom fields, whose
names also end in `__c`; they travel in CUSTOMFIELDS. Picklists that Insightly keeps as records of
their own (lead statuses and sources, pipeline stages) are served as lists whose ids are the
picklist's positions. Campaign has no counterpart in Insightly's CRM API v3.1 and is not served.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_pipelines.sim.insightly.fields import Field
from crm_pipelines.sim.schema import (
    LEAD_SOURCES,
    LEAD_STATUSES,
    OPPORTUNITY_STAGES,
    SObjectSchema,
    sobject,
)

# Insightly's pipeline holds the open stages; winning or losing is the opportunity's state.
OPEN_STAGES = tuple(s for s in OPPORTUNITY_STAGES if not s.startswith("Closed"))
PIPELINE_ID = 1
PIPELINE_NAME = "Sales Pipeline"
OPPORTUNITY_STATES = {"Closed Won": "WON", "Closed Lost": "LOST"}
# Insightly's other closed states have no Salesforce stage of their own; they close as lost.
CLOSED_AS_LOST = ("ABANDONED", "SUSPENDED")
TASK_STATUSES = {"Not Started": "NOT STARTED", "In Progress": "IN PROGRESS", "Completed": "COMPLETED",
                 "Waiting on someone else": "WAITING", "Deferred": "DEFERRED"}
TASK_PRIORITIES = {"Low": 1, "Normal": 2, "High": 3}


def _stamps() -> tuple[Field, ...]:
    # SystemModstamp, not LastModifiedDate: Insightly's DATE_UPDATED_UTC moves on every change,
    # and incremental readers search on it.
    return (Field("DATE_CREATED_UTC", "CreatedDate", "datetime", writable=False),
            Field("DATE_UPDATED_UTC", "SystemModstamp", "datetime", writable=False))


def _owner() -> Field:
    return Field("OWNER_USER_ID", "OwnerId", "ref", target="User")


@dataclass(frozen=True)
class InsightlyObject:
    name: str             # the path segment: "Contacts"
    record_name: str      # LINKS' OBJECT_NAME: "Contact"
    sobject: str          # the org's object behind it
    id_field: str         # "CONTACT_ID"
    fields: tuple[Field, ...]
    writable: bool = True

    @property
    def schema(self) -> SObjectSchema:
        return sobject(self.sobject)

    def field(self, name: str) -> Field | None:
        upper = name.upper()
        return next((f for f in self.fields if f.name == upper), None)

    def custom_fields(self) -> list[str]:
        return [f.name for f in self.schema.fields if f.custom]


OBJECTS: dict[str, InsightlyObject] = {o.name.lower(): o for o in (
    InsightlyObject("Users", "User", "User", "USER_ID", (
        Field("USER_ID", "Id", "ref", writable=False, target="User"),
        Field("FIRST_NAME", "FirstName"), Field("LAST_NAME", "LastName"),
        Field("EMAIL_ADDRESS", "Email"), Field("ACTIVE", "IsActive", "bool"),
        Field("ADMINISTRATOR", None, default=False), Field("ACCOUNT_OWNER", None, default=False),
        Field("TIMEZONE_ID", None, default="UTC"), *_stamps(),
    ), writable=False),
    InsightlyObject("Organisations", "Organisation", "Account", "ORGANISATION_ID", (
        Field("ORGANISATION_ID", "Id", "ref", writable=False, target="Account"),
        Field("ORGANISATION_NAME", "Name"), Field("WEBSITE", "Website"),
        Field("ADDRESS_BILLING_CITY", "BillingCity"), Field("ADDRESS_BILLING_COUNTRY", "BillingCountry"),
        _owner(), *_stamps(),
    )),
    InsightlyObject("Contacts", "Contact", "Contact", "CONTACT_ID", (
        Field("CONTACT_ID", "Id", "ref", writable=False, target="Contact"),
        Field("FIRST_NAME", "FirstName"), Field("LAST_NAME", "LastName"),
        Field("EMAIL_ADDRESS", "Email"), Field("TITLE", "Title"), Field("PHONE", "Phone"),
        Field("ADDRESS_MAIL_CITY", "MailingCity"), Field("ADDRESS_MAIL_COUNTRY", "MailingCountry"),
        Field("ORGANISATION_ID", "AccountId", "ref", target="Account"),
        Field("EMAIL_OPTED_OUT", "HasOptedOutOfEmail", "bool"), _owner(), *_stamps(),
    )),
    InsightlyObject("Leads", "Lead", "Lead", "LEAD_ID", (
        Field("LEAD_ID", "Id", "ref", writable=False, target="Lead"),
        Field("FIRST_NAME", "FirstName"), Field("LAST_NAME", "LastName"), Field("EMAIL", "Email"),
        Field("ORGANISATION_NAME", "Company"), Field("TITLE", "Title"), Field("PHONE", "Phone"),
        Field("LEAD_STATUS_ID", "Status", "choice", choices=LEAD_STATUSES),
        Field("LEAD_SOURCE_ID", "LeadSource", "choice", choices=LEAD_SOURCES),
        Field("INDUSTRY", "Industry"), Field("ADDRESS_CITY", "City"), Field("ADDRESS_COUNTRY", "Country"),
        Field("EMAIL_OPTED_OUT", "HasOptedOutOfEmail", "bool"), _owner(),
        Field("CONVERTED", "IsConverted", "bool", writable=False),
        Field("CONVERTED_DATE_UTC", "ConvertedDate", "date", writable=False),
        Field("CONVERTED_CONTACT_ID", "ConvertedContactId", "ref", writable=False, target="Contact"),
        Field("CONVERTED_ORGANISATION_ID", "ConvertedAccountId", "ref", writable=False, target="Account"),
        Field("CONVERTED_OPPORTUNITY_ID", "ConvertedOpportunityId", "ref", writable=False,
              target="Opportunity"),
        *_stamps(),
    )),
    InsightlyObject("Opportunities", "Opportunity", "Opportunity", "OPPORTUNITY_ID", (
        Field("OPPORTUNITY_ID", "Id", "ref", writable=False, target="Opportunity"),
        Field("OPPORTUNITY_NAME", "Name"),
        Field("ORGANISATION_ID", "AccountId", "ref", target="Account"),
        Field("OPPORTUNITY_STATE", "StageName", "mapped", mapping=OPPORTUNITY_STATES, default="OPEN"),
        Field("PIPELINE_ID", None, default=PIPELINE_ID, writable=False),
        Field("STAGE_ID", "StageName", "choice", choices=OPEN_STAGES),
        Field("FORECAST_CLOSE_DATE", "CloseDate", "date"),
        Field("BID_AMOUNT", "Amount", "number"), Field("BID_CURRENCY", None, default="USD"),
        Field("BID_TYPE", None, default="Fixed Bid"), Field("PROBABILITY", "Probability", "number"),
        _owner(), *_stamps(),
    )),
    InsightlyObject("Tasks", "Task", "Task", "TASK_ID", (
        Field("TASK_ID", "Id", "ref", writable=False, target="Task"),
        Field("TITLE", "Subject"), Field("DETAILS", "Description"), Field("DUE_DATE", "ActivityDate", "date"),
        Field("STATUS", "Status", "mapped", mapping=TASK_STATUSES, default="NOT STARTED"),
        Field("PRIORITY", "Priority", "mapped", mapping=TASK_PRIORITIES, default=2),
        Field("COMPLETED", "Status", "mapped", mapping={"Completed": True}, default=False, writable=False),
        Field("RESPONSIBLE_USER_ID", "OwnerId", "ref", writable=False, target="User"),
        _owner(), *_stamps(),
    )),
)}
CUSTOM_FIELD_OBJECTS = ("Organisations", "Contacts", "Leads", "Opportunities", "Tasks")


def insightly_object(name: str) -> InsightlyObject | None:
    return OBJECTS.get(name.lower())
