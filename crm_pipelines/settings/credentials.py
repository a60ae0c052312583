"""CRM credentials by reference: the names of environment variables, never the secrets themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained
from crm_pipelines.settings.errors import SettingProblem, SettingsError

Grant = Literal["client_credentials", "password"]

EnvName = Annotated[
    str,
    Field(pattern=r"^[A-Z_][A-Z0-9_]*$"),
    explained("the name of an environment variable: capital letters, digits and underscores, not starting with a digit"),
]


class MissingCredentialError(LookupError):
    """A referenced environment variable is not set. Names the variable, never a value."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        self.missing = missing
        super().__init__("; ".join(f"environment variable {name} ({field}) is not set or empty" for field, name in missing))


class ResolvedCredentials(SettingsModel):
    """Credentials read from the environment for one connection; kept in memory only.

    Secrets are SecretStr, so printing, logging or reprs show asterisks; `.get_secret_value()` is
    called only where the token request is built.
    """

    grant: Grant
    client_id: str
    client_secret: SecretStr
    username: str | None = None
    password: SecretStr | None = None


class CredentialRefs(SettingsModel):
    """Which environment variables hold a tenant's CRM credentials (T1).

    client_credentials is Salesforce's server-to-server flow against the org's My Domain host;
    password adds a user's name and password (with its security token appended).
    """

    grant: Grant
    client_id_env: EnvName
    client_secret_env: EnvName
    username_env: EnvName | None = None
    password_env: EnvName | None = None

    @model_validator(mode="after")
    def _user_refs_fit_grant(self) -> CredentialRefs:
        problems: list[SettingProblem] = []
        for field in ("username_env", "password_env"):
            given = getattr(self, field)
            if self.grant == "password" and given is None:
                problems.append(SettingProblem(field, None, "the name of an environment variable: the password grant needs it"))
            if self.grant != "password" and given is not None:
                problems.append(SettingProblem(field, given, f"nothing: only the password grant uses it, not {self.grant}"))
        if problems:
            raise SettingsError(problems)
        return self

    def references(self) -> dict[str, str]:
        """Field → environment variable name, for the references this grant uses."""
        names = {"client_id_env": self.client_id_env, "client_secret_env": self.client_secret_env}
        if self.username_env is not None:
            names["username_env"] = self.username_env
        if self.password_env is not None:
            names["password_env"] = self.password_env
        return names

    def resolve(self, environ: Mapping[str, str]) -> ResolvedCredentials:
        """Read the referenced variables; raise MissingCredentialError naming every one that is unset."""
        references = self.references()
        missing = [(field, name) for field, name in references.items() if not environ.get(name)]
        if missing:
            raise MissingCredentialError(missing)
        return ResolvedCredentials(
            grant=self.grant,
            client_id=environ[self.client_id_env],
            client_secret=SecretStr(environ[self.client_secret_env]),
            username=environ[self.username_env] if self.username_env else None,
            password=SecretStr(environ[self.password_env]) if self.password_env else None,
        )
