"""The simulated org's objects and fields, with Salesforce's API names, and their describe JSON.

Every object carries Id, IsDeleted, CreatedDate, LastModifiedDate and SystemModstamp. Field types
use Salesforce's own describe vocabulary, since connectors (Airbyte among them) reject types they
do not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

SfType = Literal[
    "id", "string", "textarea", "email", "phone", "url", "picklist", "reference", "boolean",
    "datetime", "date", "double", "currency", "percent", "int", "anyType",
]

DEFAULT_BASE_PATH = "/services/data/v60.0"

_SOAP_TYPES: dict[str, str] = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "datetime": "xsd:dateTime",
    "date": "xsd:date", "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
    "int": "xsd:int", "anyType": "xsd:anyType",
}
_STRING_TYPES = frozenset({"id", "string", "textarea", "email", "phone", "url", "picklist", "reference"})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    sf_type: SfType
    label: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    filterable: bool = True
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    reference_to: tuple[str, ...] = ()
    picklist_values: tuple[str, ...] = ()
    # Set for fields Salesforce fills in when a create leaves them out (OwnerId, booleans), so
    # that a non-nillable field is still not required on create.
    defaulted_on_create: bool = False

    @property
    def relationship_name(self) -> str | None:
        if self.sf_type != "reference":
            return None
        if self.name.endswith("__c"):
            return self.name[:-3] + "__r"
        return self.name[:-2] if self.name.endswith("Id") else self.name

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create


@dataclass(frozen=True)
class SObjectSchema:
    name: str
    key_prefix: str
    label: str
    label_plural: str
    fields: tuple[FieldSpec, ...]
    _by_lower: dict[str, FieldSpec] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_lower = {f.name.lower(): f for f in self.fields}
        if len(by_lower) != len(self.fields):
            raise ValueError(f"object {self.name} declares a field name twice")
        object.__setattr__(self, "_by_lower", by_lower)

    def field(self, name: str) -> FieldSpec:
        try:
            return self._by_lower[name.lower()]
        except KeyError:
            raise KeyError(f"No such column '{name}' on entity '{self.name}'") from None

    def has_field(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


# Field builders: short names keep the object tables below readable as tables.

def _id() -> FieldSpec:
    return FieldSpec("Id", "id", "Record ID", length=18, nillable=False, createable=False,
                     updateable=False, defaulted_on_create=True)


def _system_head() -> tuple[FieldSpec, ...]:
    return (
        _id(),
        FieldSpec("IsDeleted", "boolean", "Deleted", nillable=False, createable=False,
                  updateable=False, defaulted_on_create=True),
    )


def _system_tail() -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(name, "datetime", label, nillable=False, createable=False, updateable=False,
                  defaulted_on_create=True)
        for name, label in (("CreatedDate", "Created Date"),
                            ("LastModifiedDate", "Last Modified Date"),
                            ("SystemModstamp", "System Modstamp"))
    )


def _s(name: str, label: str, length: int = 255, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "string", label, length=length, **kw)


def _ref(name: str, label: str, *to: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "reference", label, length=18, reference_to=to, **kw)


def _bool(name: str, label: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "boolean", label, nillable=False, defaulted_on_create=True, **kw)


def _pick(name: str, label: str, values: tuple[str, ...], **kw: Any) -> FieldSpec:
    return FieldSpec(name, "picklist", label, length=255, picklist_values=values, **kw)


def _owner() -> FieldSpec:
    return _ref("OwnerId", "Owner ID", "User", nillable=False, defaulted_on_create=True)


def _master_record(sobject_name: str) -> FieldSpec:
    return _ref("MasterRecordId", "Master Record ID", sobject_name, createable=False,
                updateable=False)


def _computed_name(length: int) -> FieldSpec:
    return _s("Name", "Full Name", length, createable=False, updateable=False)


def _object(name: str, key_prefix: str, label: str, label_plural: str,
            *fields: FieldSpec) -> SObjectSchema:
    return SObjectSchema(name, key_prefix, label, label_plural,
                         _system_head() + fields + _system_tail())


INDUSTRIES = (
    "Agriculture", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Finance",
    "Healthcare", "Insurance", "Manufacturing", "Media", "Retail", "Technology",
    "Telecommunications", "Transportation",
)
ACCOUNT_TYPES = (
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
)
ACCOUNT_TIERS = ("Tier 1", "Tier 2", "Tier 3")
TEAM_MEMBER_ROLES = (
    "Account Manager", "Channel Manager", "Executive Sponsor", "Lead Qualifier",
    "Pre-Sales Consultant", "Sales Manager", "Sales Rep",
)
ACCESS_LEVELS = ("Read", "Edit", "All")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
PERSONAS = ("Economic Buyer", "Champion", "Technical Evaluator", "End User")
LEAD_STATUSES = (
    "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted",
    "Disqualified",
)
OPPORTUNITY_STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation", "Closed Won",
    "Closed Lost",
)
CONTACT_ROLES = (
    "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator",
    "Executive Sponsor", "Influencer", "Technical Buyer", "Other",
)
CAMPAIGN_TYPES = (
    "Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program",
    "Advertisement", "Direct Mail", "Email", "Telemarketing", "Other",
)
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed", "Aborted")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_PRIORITIES = ("High", "Normal", "Low")
TASK_TYPES = ("Call", "Email", "Meeting", "Other")
TASK_SUBTYPES = ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")


def _app_external_id() -> FieldSpec:
    return _s("App_External_Id__c", "App External Id", 80, external_id=True, unique=True,
              custom=True)


def _person_custom_fields() -> tuple[FieldSpec, ...]:
    return (
        _app_external_id(),
        FieldSpec("Lead_Score__c", "double", "Lead Score", custom=True),
        _pick("Persona__c", "Persona", PERSONAS, custom=True),
        _s("Region__c", "Region", 80, custom=True),
    )


_OBJECT_LIST: tuple[SObjectSchema, ...] = (
    _object(
        "User", "005", "User", "Users",
        _s("Username", "Username", 80, nillable=False, unique=True),
        FieldSpec("Email", "email", "Email", length=128, nillable=False),
        _s("FirstName", "First Name", 40),
        _s("LastName", "Last Name", 80, nillable=False),
        _computed_name(121),
        _s("Title", "Title", 80),
        _bool("IsActive", "Active"),
        _ref("ManagerId", "Manager ID", "User"),
        _s("Department", "Department", 80),
    ),
    _object(
        "Account", "001", "Account", "Accounts",
        _s("Name", "Account Name", 255, nillable=False),
        FieldSpec("Website", "url", "Website", length=255),
        _pick("Industry", "Industry", INDUSTRIES),
        _pick("Type", "Account Type", ACCOUNT_TYPES),
        _owner(),
        _ref("ParentId", "Parent Account ID", "Account"),
        _s("BillingCity", "Billing City", 40),
        _s("BillingCountry", "Billing Country", 80),
        FieldSpec("NumberOfEmployees", "int", "Employees"),
        FieldSpec("AnnualRevenue", "currency", "Annual Revenue"),
        _master_record("Account"),
        _pick("Tier__c", "Tier", ACCOUNT_TIERS, custom=True),
    ),
    _object(
        "AccountTeamMember", "01M", "Account Team Member", "Account Team Members",
        _ref("AccountId", "Account ID", "Account", nillable=False, updateable=False),
        _ref("UserId", "User ID", "User", nillable=False, updateable=False),
        _pick("TeamMemberRole", "Team Role", TEAM_MEMBER_ROLES),
        _pick("AccountAccessLevel", "Account Access", ACCESS_LEVELS, nillable=False,
              defaulted_on_create=True),
    ),
    _object(
        "Contact", "003", "Contact", "Contacts",
        _ref("AccountId", "Account ID", "Account"),
        _s("FirstName", "First Name", 40),
        _s("LastName", "Last Name", 80, nillable=False),
        _computed_name(121),
        FieldSpec("Email", "email", "Email", length=80),
        _s("Title", "Title", 128),
        FieldSpec("Phone", "phone", "Business Phone", length=40),
        _s("MailingCity", "Mailing City", 40),
        _s("MailingCountry", "Mailing Country", 80),
        _owner(),
        _pick("LeadSource", "Lead Source", LEAD_SOURCES),
        _bool("HasOptedOutOfEmail", "Email Opt Out"),
        _master_record("Contact"),
        *_person_custom_fields(),
    ),
    _object(
        "Lead", "00Q", "Lead", "Leads",
        _s("FirstName", "First Name", 40),
        _s("LastName", "Last Name", 80, nillable=False),
        _computed_name(121),
        FieldSpec("Email", "email", "Email", length=80),
        _s("Company", "Company", 255, nillable=False),
        _s("Title", "Title", 128),
        FieldSpec("Phone", "phone", "Phone", length=40),
        _pick("Status", "Status", LEAD_STATUSES, nillable=False, defaulted_on_create=True),
        _pick("LeadSource", "Lead Source", LEAD_SOURCES),
        _pick("Industry", "Industry", INDUSTRIES),
        _s("City", "City", 40),
        _s("Country", "Country", 80),
        _owner(),
        _bool("IsConverted", "Converted", updateable=False),
        FieldSpec("ConvertedDate", "date", "Converted Date", createable=False, updateable=False),
        _ref("ConvertedAccountId", "Converted Account ID", "Account", createable=False,
             updateable=False),
        _ref("ConvertedContactId", "Converted Contact ID", "Contact", createable=False,
             updateable=False),
        _ref("ConvertedOpportunityId", "Converted Opportunity ID", "Opportunity",
             createable=False, updateable=False),
        _bool("HasOptedOutOfEmail", "Email Opt Out"),
        _master_record("Lead"),
        *_person_custom_fields(),
    ),
    _object(
        "Opportunity", "006", "Opportunity", "Opportunities",
        _s("Name", "Name", 120, nillable=False),
        _ref("AccountId", "Account ID", "Account"),
        _owner(),
        _pick("StageName", "Stage", OPPORTUNITY_STAGES, nillable=False),
        FieldSpec("CloseDate", "date", "Close Date", nillable=False),
        FieldSpec("Amount", "currency", "Amount"),
        FieldSpec("Probability", "percent", "Probability (%)"),
        _bool("IsClosed", "Closed", createable=False, updateable=False),
        _bool("IsWon", "Won", createable=False, updateable=False),
        _ref("CampaignId", "Campaign ID", "Campaign"),
    ),
    _object(
        "OpportunityContactRole", "00K", "Opportunity Contact Role", "Opportunity Contact Roles",
        _ref("OpportunityId", "Opportunity ID", "Opportunity", nillable=False, updateable=False),
        _ref("ContactId", "Contact ID", "Contact", nillable=False),
        _pick("Role", "Role", CONTACT_ROLES),
        _bool("IsPrimary", "Primary"),
    ),
    _object(
        "Campaign", "701", "Campaign", "Campaigns",
        _s("Name", "Name", 80, nillable=False),
        _pick("Type", "Type", CAMPAIGN_TYPES),
        _pick("Status", "Status", CAMPAIGN_STATUSES),
        _bool("IsActive", "Active"),
        FieldSpec("StartDate", "date", "Start Date"),
        FieldSpec("EndDate", "date", "End Date"),
        _owner(),
        _app_external_id(),
    ),
    _object(
        "Task", "00T", "Task", "Tasks",
        _s("Subject", "Subject", 255),
        FieldSpec("Description", "textarea", "Comments", length=32000),
        _ref("WhoId", "Name ID", "Contact", "Lead"),
        _ref("WhatId", "Related To ID", "Account", "Opportunity", "Campaign"),
        _owner(),
        FieldSpec("ActivityDate", "date", "Due Date Only"),
        _pick("Status", "Status", TASK_STATUSES, nillable=False, defaulted_on_create=True),
        _pick("Priority", "Priority", TASK_PRIORITIES, nillable=False, defaulted_on_create=True),
        _pick("Type", "Type", TASK_TYPES),
        _pick("TaskSubtype", "Task Subtype", TASK_SUBTYPES, updateable=False),
        _app_external_id(),
    ),
)

OBJECTS: dict[str, SObjectSchema] = {o.name: o for o in _OBJECT_LIST}

# Field history (Salesforce's StandardObjectNameHistory): one row per change of a tracked field,
# read-only, with no LastModifiedDate or SystemModstamp. An org tracks at most 20 fields of an
# object; describe shows an object's history only when the org tracks some of its fields.
HISTORY_OF: dict[str, str] = {"Lead": "LeadHistory", "Contact": "ContactHistory", "Campaign": "CampaignHistory"}
HISTORY_KEY_PREFIX = "017"
MAX_TRACKED_FIELDS = 20


def _history(parent: str) -> SObjectSchema:
    parent_schema = OBJECTS[parent]
    trackable = tuple(f.name for f in parent_schema.fields if f.updateable)
    never = dict(createable=False, updateable=False)
    return SObjectSchema(HISTORY_OF[parent], HISTORY_KEY_PREFIX, f"{parent_schema.label} History",
                         f"{parent_schema.label} History", (
        FieldSpec("Id", "id", f"{parent_schema.label} History ID", length=18, nillable=False, defaulted_on_create=True,
                  **never),
        FieldSpec("IsDeleted", "boolean", "Deleted", nillable=False, defaulted_on_create=True, **never),
        _ref(f"{parent}Id", f"{parent_schema.label} ID", parent, nillable=False, **never),
        _ref("CreatedById", "Created By ID", "User", nillable=False, defaulted_on_create=True, **never),
        FieldSpec("CreatedDate", "datetime", "Created Date", nillable=False, defaulted_on_create=True, **never),
        _pick("Field", "Changed Field", ("created", *trackable), nillable=False, **never),
        FieldSpec("OldValue", "anyType", "Old Value", length=255, **never),
        FieldSpec("NewValue", "anyType", "New Value", length=255, **never),
    ))


HISTORY_OBJECTS: dict[str, SObjectSchema] = {name: _history(parent) for parent, name in HISTORY_OF.items()}
ALL_OBJECTS: dict[str, SObjectSchema] = {**OBJECTS, **HISTORY_OBJECTS}
_OBJECTS_BY_LOWER = {name.lower(): o for name, o in ALL_OBJECTS.items()}
# History rows share one key prefix across objects, so the prefix names no single object.
_OBJECTS_BY_PREFIX = {o.key_prefix: o for o in _OBJECT_LIST}

_MERGEABLE = frozenset({"Account", "Contact", "Lead"})
_READ_ONLY_OBJECTS = frozenset({"User", *HISTORY_OBJECTS})


def sobject(name: str) -> SObjectSchema:
    """The schema of object `name`, matched case-insensitively as Salesforce does."""
    try:
        return _OBJECTS_BY_LOWER[name.lower()]
    except KeyError:
        raise KeyError(f"sObject type '{name}' is not supported.") from None


def sobject_for_id(record_id: str) -> SObjectSchema | None:
    """The object whose key prefix starts `record_id`, or None for an unknown prefix."""
    return _OBJECTS_BY_PREFIX.get(record_id[:3])


def _picklist_json(values: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in values]


def _field_json(spec: FieldSpec, label: str) -> dict[str, Any]:
    is_string = spec.sf_type in _STRING_TYPES
    is_number = spec.sf_type in ("double", "currency", "percent")
    return {
        "aggregatable": spec.sf_type not in ("textarea",),
        "autoNumber": False,
        "byteLength": spec.length * 3 if is_string else 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": spec.createable,
        "custom": spec.custom,
        "defaultValue": False if spec.sf_type == "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": spec.defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if spec.sf_type == "int" else 0,
        "externalId": spec.external_id,
        "filterable": spec.filterable,
        "groupable": spec.sf_type not in ("textarea", "double", "currency", "percent", "datetime"),
        "htmlFormatted": False,
        "idLookup": spec.name == "Id" or spec.external_id or spec.name == "Email",
        "inlineHelpText": None,
        "label": label,
        "length": spec.length if is_string else 0,
        "name": spec.name,
        "nameField": spec.name == "Name",
        "namePointing": False,
        "nillable": spec.nillable,
        "permissionable": spec.nillable and spec.name != "Id",
        "picklistValues": _picklist_json(spec.picklist_values),
        "polymorphicForeignKey": len(spec.reference_to) > 1,
        "precision": 18 if is_number else 0,
        "referenceTargetField": None,
        "referenceTo": list(spec.reference_to),
        "relationshipName": spec.relationship_name,
        "relationshipOrder": None,
        "restrictedPicklist": False,
        "scale": 2 if spec.sf_type == "currency" else 0,
        "soapType": _SOAP_TYPES.get(spec.sf_type, "xsd:string"),
        "sortable": spec.sf_type != "textarea",
        "type": spec.sf_type,
        "unique": spec.unique,
        "updateable": spec.updateable,
        "writeRequiresMasterRead": False,
    }


def _object_summary(schema: SObjectSchema, base_path: str) -> dict[str, Any]:
    sobject_url = f"{base_path}/sobjects/{schema.name}"
    writable = schema.name not in _READ_ONLY_OBJECTS
    return {
        "activateable": False,
        "createable": writable,
        "custom": False,
        "customSetting": False,
        "deletable": writable,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "hasSubtypes": False,
        "isSubtype": False,
        "keyPrefix": schema.key_prefix,
        "label": schema.label,
        "labelPlural": schema.label_plural,
        "layoutable": True,
        "mergeable": schema.name in _MERGEABLE,
        "mruEnabled": True,
        "name": schema.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": writable,
        "updateable": True,
        "urls": {
            "sobject": sobject_url,
            "describe": f"{sobject_url}/describe",
            "rowTemplate": f"{sobject_url}/{{ID}}",
        },
    }


def describe(name: str, base_path: str = DEFAULT_BASE_PATH,
             label_overrides: dict[str, str] | None = None, *, with_history: bool = False) -> dict[str, Any]:
    """Salesforce's `/sobjects/{name}/describe` body; `label_overrides` maps field names to labels.
    `with_history`: the org tracks fields of this object, so its history object is a child."""
    schema = sobject(name)
    overrides = label_overrides or {}
    unknown = sorted(k for k in overrides if not schema.has_field(k))
    if unknown:
        raise KeyError(f"label overrides name fields that {schema.name} lacks: {unknown}")
    labels = {k.lower(): v for k, v in overrides.items()}
    body = _object_summary(schema, base_path)
    body.update({
        "actionOverrides": [],
        "childRelationships": [_history_relationship(schema.name)] if with_history else [],
        "compactLayoutable": True,
        "defaultImplementation": None,
        "extendedBy": None,
        "extendsInterfaces": None,
        "fields": [_field_json(f, labels.get(f.name.lower(), f.label)) for f in schema.fields],
        "implementedBy": None,
        "implementsInterfaces": None,
        "listviewable": None,
        "lookupLayoutable": None,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "recordTypeInfos": [],
        "searchLayoutable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": "All " + schema.label_plural.lower(), "name": "everything"}],
    })
    return body


def _history_relationship(parent: str) -> dict[str, Any]:
    return {"cascadeDelete": True, "childSObject": HISTORY_OF[parent], "deprecatedAndHidden": False,
            "field": f"{parent}Id", "junctionIdListNames": [], "junctionReferenceTo": [],
            "relationshipName": "Histories", "restrictedDelete": False}


def describe_global(base_path: str = DEFAULT_BASE_PATH, history_objects: tuple[str, ...] = ()) -> dict[str, Any]:
    """Salesforce's `/sobjects` (describeGlobal) body; `history_objects`: the history objects the
    org has (those of objects it tracks fields of)."""
    listed = [*_OBJECT_LIST, *(HISTORY_OBJECTS[n] for n in history_objects)]
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [_object_summary(o, base_path) for o in listed],
    }
