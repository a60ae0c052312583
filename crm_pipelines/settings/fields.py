"""The app's field catalogue: which fields each app object has, and their types.

Field mappings (F2) may only name these app fields, and workflow criteria (W1) are checked
against the prospect's, so a typo is refused when it is configured instead of never matching.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

FieldType = Literal["string", "number", "boolean", "date", "datetime"]
AppObject = Literal["prospect", "company", "campaign", "opportunity"]
CrmObject = Literal["Lead", "Contact", "Account", "Opportunity", "Campaign"]

ORDERED_TYPES: frozenset[FieldType] = frozenset({"number", "date", "datetime"})
"""Types that greater than / less than can compare (W2)."""

PROSPECT_FIELDS: Mapping[str, FieldType] = MappingProxyType({
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "title": "string",
    "company": "string",
    "phone": "string",
    "city": "string",
    "country": "string",
    "status": "string",
    "lead_source": "string",
    "industry": "string",
    "lead_score": "number",
    "opted_out": "boolean",
    "persona": "string",
    "region": "string",
    "owner_email": "string",
    "last_activity_at": "datetime",
    "created_at": "datetime",
    "updated_at": "datetime",
})

COMPANY_FIELDS: Mapping[str, FieldType] = MappingProxyType({
    "name": "string",
    "website": "string",
    "domain": "string",
    "industry": "string",
    "type": "string",
    "city": "string",
    "country": "string",
    "employee_count": "number",
    "annual_revenue": "number",
    "tier": "string",
    "owner_email": "string",
    "created_at": "datetime",
    "updated_at": "datetime",
})

CAMPAIGN_FIELDS: Mapping[str, FieldType] = MappingProxyType({
    "name": "string",
    "type": "string",
    "status": "string",
    "is_active": "boolean",
    "start_date": "date",
    "end_date": "date",
    "owner_email": "string",
    "created_at": "datetime",
    "updated_at": "datetime",
})

OPPORTUNITY_FIELDS: Mapping[str, FieldType] = MappingProxyType({
    "name": "string",
    "stage": "string",
    "amount": "number",
    "probability": "number",
    "close_date": "date",
    "is_closed": "boolean",
    "is_won": "boolean",
    "owner_email": "string",
    "created_at": "datetime",
    "updated_at": "datetime",
})

APP_FIELDS: Mapping[AppObject, Mapping[str, FieldType]] = MappingProxyType({
    "prospect": PROSPECT_FIELDS,
    "company": COMPANY_FIELDS,
    "campaign": CAMPAIGN_FIELDS,
    "opportunity": OPPORTUNITY_FIELDS,
})

APP_OBJECT_OF: Mapping[CrmObject, AppObject] = MappingProxyType({
    "Lead": "prospect",
    "Contact": "prospect",
    "Account": "company",
    "Opportunity": "opportunity",
    "Campaign": "campaign",
})
"""Which app object a CRM object is synced with: Leads and Contacts are both prospects."""


def app_fields_of(crm_object: CrmObject) -> Mapping[str, FieldType]:
    return APP_FIELDS[APP_OBJECT_OF[crm_object]]
