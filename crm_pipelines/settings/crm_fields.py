"""Which CRM fields each kind of CRM has on each of the pipeline's objects, for F2's mappings.

A Salesforce org's fields are its admin's (standard and custom alike), so a Salesforce mapping is
taken as named and the extraction confirms it against the org's describe. Insightly's standard
fields are fixed by its API; what an org adds are custom fields, named as the pipeline names
them, ending in `__c`. An Insightly mapping naming a standard field Insightly lacks (a Contact's
LeadSource, an Organisation's Industry) or an object it lacks (Campaign) would fail every record
it pushes, so it is refused where it is configured.

Names are the pipeline's (Salesforce's), as `crm/insightly/objects.py` translates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CUSTOM_FIELD_SUFFIX = "__c"

_STAMPS = frozenset({"CreatedDate", "SystemModstamp", "LastModifiedDate"})
_PERSON = frozenset({"FirstName", "LastName", "Name", "Email", "Title", "Phone", "HasOptedOutOfEmail", "OwnerId"})

INSIGHTLY_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType({
    "Lead": _STAMPS | _PERSON | {"Company", "Industry", "City", "Country", "Status", "LeadSource", "IsConverted",
                                 "ConvertedDate", "ConvertedContactId", "ConvertedAccountId",
                                 "ConvertedOpportunityId"},
    "Contact": _STAMPS | _PERSON | {"MailingCity", "MailingCountry", "AccountId"},
    "Account": _STAMPS | {"Name", "Website", "BillingCity", "BillingCountry", "OwnerId"},
    "Opportunity": _STAMPS | {"Name", "AccountId", "OwnerId", "CloseDate", "Amount", "Probability", "StageName",
                              "IsClosed", "IsWon"},
})
"""Insightly's standard fields of each object it has a counterpart of (Campaign: none)."""

INSIGHTLY_OBJECT_NAMES: Mapping[str, str] = MappingProxyType({
    "Lead": "Leads", "Contact": "Contacts", "Account": "Organisations", "Opportunity": "Opportunities",
})


def missing_crm_field(kind: str, crm_object: str, crm_field: str) -> tuple[str, str] | None:
    """Which part of a mapping a `kind` CRM lacks ("crm_object" or "crm_field") and what it has
    instead, or None when it has (or may have) the field."""
    if kind != "insightly":
        return None
    if crm_object not in INSIGHTLY_FIELDS:
        return "crm_object", f"an object Insightly has: {', '.join(INSIGHTLY_FIELDS)} (it has no {crm_object})"
    if crm_field.endswith(CUSTOM_FIELD_SUFFIX) or crm_field in INSIGHTLY_FIELDS[crm_object]:
        return None
    return "crm_field", (f"a field Insightly has on its {INSIGHTLY_OBJECT_NAMES[crm_object]} ({crm_object}): "
                         + ", ".join(sorted(INSIGHTLY_FIELDS[crm_object]))
                         + f", or a custom field ending in {CUSTOM_FIELD_SUFFIX}")
