"""T1, T2: a tenant, its one CRM connection and its settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BeforeValidator, Field, StringConstraints, model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained
from crm_pipelines.settings.credentials import CredentialRefs, MissingCredentialError, ResolvedCredentials
from crm_pipelines.settings.dotted_updates import apply_dotted_updates
from crm_pipelines.settings.errors import SettingsError, bad_setting, validated
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
CrmKind = Literal["salesforce"]
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
TenantName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), explained("text of 1 to 200 characters")
]


class CrmConnection(SettingsModel):
    """The tenant's one CRM org (T2): where to log in, which API version, which credentials."""

    kind: CrmKind = "salesforce"
    login_url: LoginUrl
    api_version: ApiVersion = "60.0"
    credentials: CredentialRefs

    def org_key(self) -> tuple[str, str]:
        """What identifies the org before logging in: the login host and the user or client the
        credentials name. Two connections with the same key reach the same org."""
        refs = self.credentials
        who = refs.username_env if refs.grant == "password" and refs.username_env else refs.client_id_env
        return (self.login_url, who)

    def resolve_credentials(self, environ: Mapping[str, str]) -> ResolvedCredentials:
        return self.credentials.resolve(environ)


class Tenant(SettingsModel):
    """T1: one tenant of the app, connected to exactly one CRM org."""

    id: TenantId
    name: TenantName
    connection: CrmConnection
    status: TenantStatus = "disconnected"
    connected_at: AwareDatetime | None = None
    disconnected_at: AwareDatetime | None = None
    settings: TenantSettings = TenantSettings()

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
