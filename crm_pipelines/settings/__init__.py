"""The tenant registry's records and every tenant setting, as validated, frozen pydantic models."""

from crm_pipelines.settings.auto_save import (
    ACCOUNT_RULES,
    LEAD_RULES,
    AccountRule,
    AutoSaveSettings,
    LeadRule,
    UserRuleSelection,
)
from crm_pipelines.settings.connector import (
    DEFAULT_FIELD_MAPPINGS,
    DEFAULT_FIELD_MAPPINGS_BY_KIND,
    ConnectorSettings,
    Direction,
    FieldMapping,
)
from crm_pipelines.settings.credentials import (
    CredentialRefs,
    Grant,
    MissingCredentialError,
    ResolvedCredentials,
)
from crm_pipelines.settings.dotted_updates import SETTING_KEYS, apply_dotted_updates
from crm_pipelines.settings.errors import (
    SettingProblem,
    SettingsError,
    settings_error_from_validation,
    validated,
)
from crm_pipelines.settings.fields import (
    APP_FIELDS,
    APP_OBJECT_OF,
    PROSPECT_FIELDS,
    AppObject,
    CrmObject,
    FieldType,
    app_fields_of,
)
from crm_pipelines.settings.registry_rules import check_can_add, registry_problems
from crm_pipelines.settings.sync import ApiBudgetSettings, PushSettings, SyncSettings, TouchOutcome
from crm_pipelines.settings.tenant import CrmConnection, CrmKind, Tenant, TenantId, TenantStatus
from crm_pipelines.settings.tenant_settings import TenantSettings
from crm_pipelines.settings.tenants_file import load_tenants_yaml
from crm_pipelines.settings.workflows import Action, Combinator, Criterion, Operator, RecordType, Workflow

__all__ = [
    "ACCOUNT_RULES",
    "APP_FIELDS",
    "APP_OBJECT_OF",
    "DEFAULT_FIELD_MAPPINGS",
    "DEFAULT_FIELD_MAPPINGS_BY_KIND",
    "LEAD_RULES",
    "PROSPECT_FIELDS",
    "SETTING_KEYS",
    "AccountRule",
    "Action",
    "ApiBudgetSettings",
    "AppObject",
    "AutoSaveSettings",
    "Combinator",
    "ConnectorSettings",
    "CredentialRefs",
    "CrmConnection",
    "CrmKind",
    "CrmObject",
    "Criterion",
    "Direction",
    "FieldMapping",
    "FieldType",
    "Grant",
    "LeadRule",
    "MissingCredentialError",
    "Operator",
    "PushSettings",
    "RecordType",
    "ResolvedCredentials",
    "SettingProblem",
    "SettingsError",
    "SyncSettings",
    "Tenant",
    "TenantId",
    "TenantSettings",
    "TenantStatus",
    "TouchOutcome",
    "UserRuleSelection",
    "Workflow",
    "app_fields_of",
    "apply_dotted_updates",
    "check_can_add",
    "load_tenants_yaml",
    "registry_problems",
    "settings_error_from_validation",
    "validated",
]
