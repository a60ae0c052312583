"""The CRM objects we extract (E1) and the standard fields we read of each.

Custom fields are not listed: which ones exist differs per org, so they are read only when a
tenant maps them (F2) and describe confirms them (E6), and land in the row's `mapped_fields`.
Column names are the Salesforce names in snake_case (`OwnerId` -> `owner_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["id", "string", "bool", "datetime", "date", "float", "int"]

CURSOR_FIELD = "SystemModstamp"


def column_name(sf_field: str) -> str:
    """`HasOptedOutOfEmail` -> `has_opted_out_of_email`, `Id` -> `id`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", sf_field).lower()


@dataclass(frozen=True)
class CrmField:
    name: str
    kind: FieldKind

    @property
    def column(self) -> str:
        return column_name(self.name)


@dataclass(frozen=True)
class ExtractedObject:
    """One extracted object: its API name, the asset and table that hold it, its fields."""

    name: str
    asset: str
    fields: tuple[CrmField, ...]
    # User has no IsDeleted and no /deleted/ (users are deactivated, never deleted).
    soft_deletes: bool = True

    @property
    def table(self) -> str:
        return self.asset

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _f(spec: str) -> tuple[CrmField, ...]:
    """Fields from a compact `Name:kind` list (kind defaults to string)."""
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append(CrmField(name, kind or "string"))  # type: ignore[arg-type]
    return tuple(out)


_SYSTEM = "Id:id CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime"
_DELETABLE = _SYSTEM + " IsDeleted:bool"

CRM_OBJECTS: tuple[ExtractedObject, ...] = (
    ExtractedObject(
        "User", "crm_users",
        _f(_SYSTEM + " Username Email FirstName LastName Name Title IsActive:bool ManagerId:id Department"),
        soft_deletes=False,
    ),
    ExtractedObject(
        "Account", "crm_accounts",
        _f(_DELETABLE + " Name Website Industry Type OwnerId:id ParentId:id BillingCity BillingCountry"
           " NumberOfEmployees:int AnnualRevenue:float MasterRecordId:id"),
    ),
    ExtractedObject(
        "AccountTeamMember", "crm_account_team_members",
        _f(_DELETABLE + " AccountId:id UserId:id TeamMemberRole AccountAccessLevel"),
    ),
    ExtractedObject(
        "Contact", "crm_contacts",
        _f(_DELETABLE + " AccountId:id FirstName LastName Name Email Title Phone MailingCity MailingCountry"
           " OwnerId:id LeadSource HasOptedOutOfEmail:bool MasterRecordId:id"),
    ),
    ExtractedObject(
        "Lead", "crm_leads",
        _f(_DELETABLE + " FirstName LastName Name Email Company Title Phone Status LeadSource Industry City Country"
           " OwnerId:id IsConverted:bool ConvertedDate:date ConvertedAccountId:id ConvertedContactId:id"
           " ConvertedOpportunityId:id HasOptedOutOfEmail:bool MasterRecordId:id"),
    ),
    ExtractedObject(
        "Opportunity", "crm_opportunities",
        _f(_DELETABLE + " Name AccountId:id OwnerId:id StageName CloseDate:date Amount:float Probability:float"
           " IsClosed:bool IsWon:bool CampaignId:id"),
    ),
    ExtractedObject(
        "OpportunityContactRole", "crm_opportunity_contact_roles",
        _f(_DELETABLE + " OpportunityId:id ContactId:id Role IsPrimary:bool"),
    ),
    ExtractedObject(
        "Campaign", "crm_campaigns",
        _f(_DELETABLE + " Name Type Status IsActive:bool StartDate:date EndDate:date OwnerId:id"),
    ),
)

BY_NAME: dict[str, ExtractedObject] = {o.name: o for o in CRM_OBJECTS}
BY_ASSET: dict[str, ExtractedObject] = {o.asset: o for o in CRM_OBJECTS}

# The integration's own external id, on the objects the app writes (P8). Read when the org has it.
APP_EXTERNAL_ID = "App_External_Id__c"
