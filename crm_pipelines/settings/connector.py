"""F4's connector switches and F2's field mappings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.crm_fields import missing_crm_field
from crm_pipelines.settings.constraints import explained
from crm_pipelines.settings.errors import bad_setting
from crm_pipelines.settings.fields import APP_OBJECT_OF, CrmObject, app_fields_of

Direction = Literal["push", "pull", "two_way", "none"]

CrmFieldName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$"),
    explained("a Salesforce field API name: a letter, then up to 39 letters, digits or underscores"),
]


class ConnectorSettings(SettingsModel):
    """F4: what the connector may change, each way."""

    create_prospects_from_crm: bool = Field(
        True, description="F4.1 Create a prospect when a Lead or Contact is created in the CRM."
    )
    update_email_from_crm: bool = Field(
        True, description="F4.2 Change a prospect's email when it changes in the CRM."
    )
    delete_or_merge_from_crm: bool = Field(
        True, description="F4.3 Delete or merge prospects when their CRM records are deleted or merged."
    )
    overwrite_app_with_empty_crm_values: bool = Field(
        True, description="F4.4 Overwrite app values with empty CRM values."
    )
    overwrite_crm_with_empty_app_values: bool = Field(
        False, description="F4.5 Overwrite CRM values with empty app values; when off, empty app values are never sent."
    )
    match_by_email: bool = Field(True, description="F4.6 Match by email when a prospect has no CRM id.")
    crm_overwrites_opted_out: bool = Field(
        True, description="F4.7 Let the CRM overwrite the prospect's opted-out flag."
    )
    show_activity_in_crm: bool = Field(
        True, description="F4.8 Show the prospect's app activity on the CRM record (P1)."
    )
    follow_crm_label_changes: bool = Field(
        True, description="F4.9 Follow CRM label changes of mapped custom fields."
    )


class FieldMapping(SettingsModel):
    """F2: one app field ↔ one CRM field of one CRM object, and which way values flow."""

    crm_object: CrmObject
    app_field: str
    crm_field: CrmFieldName
    direction: Direction

    @model_validator(mode="after")
    def _app_field_exists(self) -> FieldMapping:
        known = app_fields_of(self.crm_object)
        if self.app_field not in known:
            raise bad_setting(
                "app_field",
                self.app_field,
                f"a field of the app's {APP_OBJECT_OF[self.crm_object]}, which {self.crm_object} records sync with: "
                + ", ".join(known),
            )
        return self


# The field mappings a new tenant starts with, following F1's default directions: Account and
# Opportunity are pulled; Campaigns, Leads and Contacts go both ways, custom fields included; the
# lead score is the app's own and only pushed.
def _mappings(crm_object: CrmObject, direction: Direction, fields: dict[str, str],
              except_: dict[str, Direction] | None = None) -> tuple[FieldMapping, ...]:
    """`crm_object`'s fields (CRM field: app field), each going `direction` unless `except_` names another."""
    return tuple(
        FieldMapping(crm_object=crm_object, crm_field=crm_field, app_field=app_field,
                     direction=(except_ or {}).get(crm_field, direction))
        for crm_field, app_field in fields.items()
    )


_PERSON: dict[str, str] = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "email",
    "Title": "title",
    "Phone": "phone",
    "LeadSource": "lead_source",
    "HasOptedOutOfEmail": "opted_out",
    "Lead_Score__c": "lead_score",
    "Persona__c": "persona",
    "Region__c": "region",
}
_PERSON_PUSHED: dict[str, Direction] = {"Lead_Score__c": "push"}

DEFAULT_FIELD_MAPPINGS: tuple[FieldMapping, ...] = (
    _mappings(
        "Lead",
        "two_way",
        {**_PERSON, "Company": "company", "Industry": "industry", "City": "city", "Country": "country",
         "Status": "status"},
        # Lead Status is a picklist of the CRM's own values (Open - Not Contacted, ...,
        # Disqualified); it is read for workflows, never written with the app's statuses.
        {**_PERSON_PUSHED, "Status": "pull"},
    )
    + _mappings("Contact", "two_way", {**_PERSON, "MailingCity": "city", "MailingCountry": "country"}, _PERSON_PUSHED)
    + _mappings("Account", "pull", {"Name": "name", "Website": "website", "Industry": "industry"})
    + _mappings("Campaign", "two_way", {"Name": "name", "Status": "status", "IsActive": "is_active",
                                        "StartDate": "start_date", "EndDate": "end_date"})
    + _mappings("Opportunity", "pull", {"Name": "name", "StageName": "stage", "Amount": "amount",
                                        "CloseDate": "close_date"})
)

# Insightly's default mappings: the same app fields where Insightly has the CRM field. Its
# Contacts have no lead source and its Organisations no industry (crm_fields.INSIGHTLY_FIELDS),
# and it has no Campaigns; the custom fields (__c) are Insightly custom fields on Leads and Contacts.
INSIGHTLY_FIELD_MAPPINGS: tuple[FieldMapping, ...] = tuple(
    m for m in DEFAULT_FIELD_MAPPINGS if missing_crm_field("insightly", m.crm_object, m.crm_field) is None
)

DEFAULT_FIELD_MAPPINGS_BY_KIND: dict[str, tuple[FieldMapping, ...]] = {
    "salesforce": DEFAULT_FIELD_MAPPINGS,
    "insightly": INSIGHTLY_FIELD_MAPPINGS,
}
"""The field mappings a new tenant starts with, by its CRM's `connection.kind`."""
