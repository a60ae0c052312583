"""T1, T2: a tenant, its one CRM connection and its settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BeforeValidator, Field, SecretStr, StringConstraints, model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained
from crm_pipelines.settings.connector import DEFAULT_FIELD_MAPPINGS_BY_KIND, FieldMapping
from crm_pipelines.settings.credentials import CredentialRefs, EnvName, MissingCredentialError, ResolvedCredentials
from crm_pipelines.settings.dotted_updates import apply_dotted_updates
from crm_pipelines.settings.errors import MISSING, SettingProblem, SettingsError, bad_setting, validated
from crm_pipelines.settings.crm_fields import missing_crm_field
from crm_pipelines.settings.tenant_settings import TenantSettings

__all__ = [
    "CredentialRefs",
    "CrmConnection",
    "CrmKind",
    "MissingCredentialError",
    "ResolvedCredentials",
    "Tenant",
    "TenantId",
    "TenantStatus",
]

TenantId = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9-]{1,62}$"),
    explained("a slug: a lowercase letter, then 1 to 62 lowercase letters, digits or hyphens"),
]
CrmKind = Literal["salesforce", "insightly"]
TenantStatus = Literal["connected", "disconnected"]

_LOGIN_URL = "an http or https URL of the CRM's login host, such as https://acme.my.salesforce.com"


def _canonical_login_url(value: Any) -> Any:
    """One spelling per host, so that two tenants on the same org are seen to be (T2)."""
    if not isinstance(value, str):
        return value
    parts = urlsplit(value.strip())
    if parts.username is not None or parts.password is not None:
        # A URL with user:password@ carries a secret: refuse without echoing it.
        raise bad_setting("", "<a URL with user information>", _LOGIN_URL + ", without user information")
    try:
        port = parts.port
    except ValueError:
        raise bad_setting("", value, _LOGIN_URL) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise bad_setting("", value, _LOGIN_URL + ", without query or fragment")
    scheme = parts.scheme.lower()
    default_port = {"http": 80, "https": 443}[scheme]
    netloc = parts.hostname if port in (None, default_port) else f"{parts.hostname}:{port}"
    if ":" in parts.hostname:  # an IPv6 literal keeps its brackets
        netloc = netloc.replace(parts.hostname, f"[{parts.hostname}]", 1)
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _version_text(value: Any) -> Any:
    # YAML reads an unquoted 60.0 as a float.
    return str(value) if isinstance(value, float) else value


LoginUrl = Annotated[str, BeforeValidator(_canonical_login_url), explained(_LOGIN_URL)]
ApiVersion = Annotated[
    str, Field(pattern=r"^\d+\.\d$"), BeforeValidator(_version_text), explained("a Salesforce API version such as 60.0")
]
# Insightly's API version: the adapter speaks v3.1 only.
INSIGHTLY_API_VERSION = "3.1"
InsightlyPod = Annotated[
    str, Field(pattern=r"^[a-z]{2,4}[0-9]{1,2}$"),
    explained("an Insightly pod such as na1 or eu1, as in the instance's API URL https://api.na1.insightly.com"),
]
TenantName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), explained("text of 1 to 200 characters")
]


class CrmConnection(SettingsModel):
    """The tenant's one CRM org (T2): which CRM, where it is, which API version, which secrets.

    Salesforce (`kind: salesforce`): the login host and OAuth2 `credentials`. Insightly
    (`kind: insightly`): its API host, given as `login_url` or by `pod` (na1 means
    https://api.na1.insightly.com), and `api_key_env`, the environment variable holding the API key."""

    kind: CrmKind = "salesforce"
    login_url: LoginUrl
    api_version: ApiVersion = "60.0"
    credentials: CredentialRefs | None = None
    api_key_env: EnvName | None = None

    @model_validator(mode="before")
    @classmethod
    def _insightly_pod_and_version(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or data.get("kind") != "insightly":
            return data
        data = dict(data)
        pod = data.pop("pod", None)
        if pod is not None:
            if data.get("login_url") is not None:
                raise bad_setting("pod", pod, "nothing when login_url is given: one of them says where Insightly is")
            pod = validated_pod(pod)
            data["login_url"] = f"https://api.{pod}.insightly.com"
        data.setdefault("api_version", INSIGHTLY_API_VERSION)
        return data

    @model_validator(mode="after")
    def _secrets_fit_kind(self) -> CrmConnection:
        problems = []
        if self.kind == "salesforce":
            if self.credentials is None:
                problems.append(("credentials", None, "the OAuth2 credential references: a Salesforce connection needs them"))
            if self.api_key_env is not None:
                problems.append(("api_key_env", self.api_key_env, "nothing: only an Insightly connection has an API key"))
        else:
            if self.api_key_env is None:
                problems.append(("api_key_env", None, "the name of the environment variable holding the Insightly API key"))
            if self.credentials is not None:
                problems.append(("credentials", "<given>", "nothing: an Insightly connection has an API key (api_key_env), "
                                 "not OAuth2 credentials"))
            if self.api_version != INSIGHTLY_API_VERSION:
                problems.append(("api_version", self.api_version, f"{INSIGHTLY_API_VERSION}: the Insightly API version spoken"))
        if problems:
            raise SettingsError([SettingProblem(field, MISSING if value is None else value, allowed)
                                 for field, value, allowed in problems])
        return self

    def org_key(self) -> tuple[str, str]:
        """What identifies the org before logging in: the login host and the user or client the
        credentials name (Insightly: the API key's variable). Two connections with the same key
        reach the same org."""
        refs = self.credentials
        if refs is None:
            return (self.login_url, str(self.api_key_env))
        who = refs.username_env if refs.grant == "password" and refs.username_env else refs.client_id_env
        return (self.login_url, who)

    def resolve_credentials(self, environ: Mapping[str, str]) -> ResolvedCredentials:
        if self.credentials is None:
            raise ValueError(f"a {self.kind} connection has no OAuth2 credentials")
        return self.credentials.resolve(environ)

    def resolve_api_key(self, environ: Mapping[str, str]) -> SecretStr:
        """Insightly's API key from its environment variable; MissingCredentialError names the
        variable when it is unset."""
        if self.api_key_env is None:
            raise ValueError(f"a {self.kind} connection has no API key")
        if not environ.get(self.api_key_env):
            raise MissingCredentialError([("api_key_env", self.api_key_env)])
        return SecretStr(environ[self.api_key_env])


def _salesforce_defaults(mappings: Any) -> bool:
    try:
        given = tuple(m if isinstance(m, FieldMapping) else FieldMapping.model_validate(m) for m in mappings)
    except (TypeError, ValueError):
        return False  # refused, with its reason, when the settings are validated
    return given == DEFAULT_FIELD_MAPPINGS_BY_KIND["salesforce"]


def validated_pod(pod: Any) -> str:
    return validated(_Pod, {"pod": pod}).pod


class _Pod(SettingsModel):
    pod: InsightlyPod


class Tenant(SettingsModel):
    """T1: one tenant of the app, connected to exactly one CRM org."""

    id: TenantId
    name: TenantName
    connection: CrmConnection
    status: TenantStatus = "disconnected"
    connected_at: AwareDatetime | None = None
    disconnected_at: AwareDatetime | None = None
    settings: TenantSettings = TenantSettings()

    @model_validator(mode="before")
    @classmethod
    def _default_mappings_of_kind(cls, data: Any) -> Any:
        """A tenant whose settings name no field mappings starts with its CRM's defaults (F2). So does
        one whose mappings are Salesforce's defaults as they are: settings stored before mappings
        depended on the CRM hold those, never chosen for a CRM of another kind."""
        if not isinstance(data, Mapping):
            return data
        connection = data.get("connection")
        kind = connection.get("kind") if isinstance(connection, Mapping) else getattr(connection, "kind", None)
        defaults = DEFAULT_FIELD_MAPPINGS_BY_KIND.get(str(kind)) if kind is not None else None
        settings = data.get("settings")
        if defaults is None or defaults is DEFAULT_FIELD_MAPPINGS_BY_KIND["salesforce"]:
            return data
        if settings is None:
            return {**data, "settings": {"field_mappings": defaults}}
        if isinstance(settings, Mapping) and ("field_mappings" not in settings
                                              or _salesforce_defaults(settings["field_mappings"])):
            return {**data, "settings": {**settings, "field_mappings": defaults}}
        if isinstance(settings, TenantSettings) and ("field_mappings" not in settings.model_fields_set
                                                     or settings.field_mappings == DEFAULT_FIELD_MAPPINGS_BY_KIND["salesforce"]):
            return {**data, "settings": settings.model_copy(update={"field_mappings": defaults})}
        return data

    @model_validator(mode="after")
    def _mappings_fit_crm(self) -> Tenant:
        """F2: a mapping naming a field the tenant's CRM lacks would fail every record it pushes."""
        problems = []
        for index, mapping in enumerate(self.settings.field_mappings):
            missing = missing_crm_field(self.connection.kind, mapping.crm_object, mapping.crm_field)
            if missing is not None:
                field, allowed = missing
                problems.append(SettingProblem(
                    f"settings.field_mappings[{index}].{field}", getattr(mapping, field),
                    f"{allowed} (the tenant's CRM is {self.connection.kind})", f"tenant {self.id!r}"))
        if problems:
            raise SettingsError(problems)
        return self

    @model_validator(mode="after")
    def _timestamps_fit_status(self) -> Tenant:
        connected, disconnected = self.connected_at, self.disconnected_at
        if self.status == "connected":
            if connected is None:
                raise bad_setting("connected_at", None, "the time the tenant connected: a connected tenant has one")
            if disconnected is not None and disconnected > connected:
                raise bad_setting("disconnected_at", disconnected.isoformat(),
                              f"a time no later than connected_at ({connected.isoformat()}) while connected")
        elif connected is not None:
            if disconnected is None:
                raise bad_setting("disconnected_at", None,
                             "the time the tenant disconnected: a tenant that was connected and is now "
                             "disconnected has one")
            if disconnected < connected:
                raise bad_setting("disconnected_at", disconnected.isoformat(),
                             f"a time no earlier than connected_at ({connected.isoformat()}) while disconnected")
        return self

    def with_settings(self, dotted_updates: Mapping[str, object]) -> Tenant:
        """This tenant with settings changed by dotted key ("sync.frequency_minutes": "30"), all
        re-validated; raises SettingsError naming each refused key, and this tenant is unchanged."""
        try:
            settings = apply_dotted_updates(self.settings, dotted_updates)
        except SettingsError as exc:
            raise SettingsError([p.under("", f"tenant {self.id!r}") for p in exc.problems]) from None
        return validated(Tenant, {**dict(self), "settings": settings})

    def as_connected(self, at: datetime) -> Tenant:
        """T3 reconnect (or first connect) at `at`; syncing resumes from the committed cursors."""
        if self.status == "connected":
            raise bad_setting("status", self.status, "disconnected: only a disconnected tenant can connect", f"tenant {self.id!r}")
        return validated(Tenant, {**dict(self), "status": "connected", "connected_at": at})

    def as_disconnected(self, at: datetime) -> Tenant:
        """T3 disconnect at `at`: no CRM reads or writes from then on."""
        if self.status == "disconnected":
            raise bad_setting("status", self.status, "connected: only a connected tenant can disconnect", f"tenant {self.id!r}")
        return validated(Tenant, {**dict(self), "status": "disconnected", "disconnected_at": at})
