"""T1, T2: a tenant's id, name, its one CRM connection, credentials by reference and its status."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_pipelines.settings import (
    CredentialRefs,
    CrmConnection,
    MissingCredentialError,
    SettingsError,
    Tenant,
    TenantSettings,
    validated,
)

MAY_1 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def tenant_data(**changes: Any) -> dict[str, Any]:
    return {
        "id": "acme",
        "name": "Acme",
        "connection": {
            "login_url": "https://acme.my.salesforce.com",
            "credentials": {"grant": "client_credentials", "client_id_env": "ACME_ID", "client_secret_env": "ACME_SECRET"},
        },
        **changes,
    }


def refusal(model: type, data: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as refused:
        validated(model, data)
    return str(refused.value)


@pytest.mark.parametrize("tenant_id", ["ac", "acme-2", "a" + "b" * 62])
def test_a_tenant_id_is_a_lowercase_slug_of_2_to_63_characters(tenant_id):
    assert validated(Tenant, tenant_data(id=tenant_id)).id == tenant_id


@pytest.mark.parametrize("tenant_id", ["a", "a" + "b" * 63, "Acme", "2acme", "-acme", "acme corp", "acme_corp"])
def test_a_tenant_id_that_is_not_such_a_slug_is_refused(tenant_id):
    assert refusal(Tenant, tenant_data(id=tenant_id)).endswith(
        "a slug: a lowercase letter, then 1 to 62 lowercase letters, digits or hyphens"
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_tenant_name_is_1_to_200_characters(name):
    assert refusal(Tenant, tenant_data(name=name)).endswith("text of 1 to 200 characters")


def test_a_new_tenant_is_disconnected_with_the_default_settings():
    tenant = validated(Tenant, tenant_data())

    assert (tenant.status, tenant.connected_at, tenant.disconnected_at) == ("disconnected", None, None)
    assert tenant.settings == TenantSettings()
    assert (tenant.connection.kind, tenant.connection.api_version) == ("salesforce", "60.0")


def test_a_tenant_is_frozen(acme):
    with pytest.raises(ValueError):
        acme.name = "Other"  # type: ignore[misc]


def test_a_crm_kind_other_than_salesforce_or_insightly_is_refused():
    data = tenant_data()
    data["connection"]["kind"] = "hubspot"

    assert refusal(Tenant, data) == "connection.kind = hubspot is not allowed (tenant 'acme'): one of 'salesforce' or 'insightly'"


def test_a_tenant_has_one_connection_not_a_list_of_them():
    data = tenant_data()
    data["connection"] = [data["connection"], data["connection"]]

    assert "connection = " in refusal(Tenant, data)


def test_a_second_connection_key_is_refused():
    data = tenant_data(connections=[])

    assert refusal(Tenant, data).startswith("connections = [] is not allowed (tenant 'acme'): no such setting")


@pytest.mark.parametrize(("given", "kept"), [
    ("HTTPS://Acme.My.Salesforce.com/", "https://acme.my.salesforce.com"),
    ("https://acme.my.salesforce.com:443", "https://acme.my.salesforce.com"),
    ("http://127.0.0.1:8443/", "http://127.0.0.1:8443"),
])
def test_a_login_url_is_kept_in_one_spelling(given, kept):
    assert CrmConnection.model_validate({**tenant_data()["connection"], "login_url": given}).login_url == kept


@pytest.mark.parametrize("login_url", ["ftp://acme.test", "acme.my.salesforce.com", "https://", "https://acme.test?x=1"])
def test_a_login_url_that_is_not_an_http_url_of_a_host_is_refused(login_url):
    data = tenant_data()
    data["connection"]["login_url"] = login_url

    assert refusal(Tenant, data).startswith(f"connection.login_url = {login_url} is not allowed (tenant 'acme'): an http")


def test_a_login_url_carrying_a_password_is_refused_without_showing_it():
    data = tenant_data()
    data["connection"]["login_url"] = "https://admin:hunter2@acme.my.salesforce.com"

    message = refusal(Tenant, data)

    assert "hunter2" not in message
    assert message.endswith("without user information")


def test_an_api_version_written_as_a_yaml_number_is_read_as_the_version():
    data = tenant_data()
    data["connection"]["api_version"] = 59.0

    assert validated(Tenant, data).connection.api_version == "59.0"


def test_an_api_version_not_like_60_0_is_refused():
    data = tenant_data()
    data["connection"]["api_version"] = "v60"

    assert refusal(Tenant, data) == (
        "connection.api_version = v60 is not allowed (tenant 'acme'): a Salesforce API version such as 60.0"
    )


def refs(**changes: Any) -> dict[str, Any]:
    return {"grant": "client_credentials", "client_id_env": "ACME_ID", "client_secret_env": "ACME_SECRET", **changes}


def test_a_credential_reference_in_lowercase_is_refused_without_echoing_it():
    message = refusal(CredentialRefs, refs(client_secret_env="sk-live-123abc"))

    assert message == (
        "client_secret_env = <hidden> is not allowed: the name of an environment variable: capital letters, "
        "digits and underscores, not starting with a digit"
    )


def test_a_credential_reference_starting_with_a_digit_is_refused():
    assert "client_id_env = <hidden> is not allowed" in refusal(CredentialRefs, refs(client_id_env="1ACME"))


def test_the_password_grant_needs_user_and_password_references():
    assert refusal(CredentialRefs, refs(grant="password")) == (
        "username_env = None is not allowed: the name of an environment variable: the password grant needs it\n"
        "password_env = None is not allowed: the name of an environment variable: the password grant needs it"
    )


def test_the_client_credentials_grant_takes_no_user_references():
    assert refusal(CredentialRefs, refs(username_env="ACME_USER")) == (
        "username_env = <hidden> is not allowed: nothing: only the password grant uses it, not client_credentials"
    )


def test_an_unknown_grant_is_refused():
    assert refusal(CredentialRefs, refs(grant="jwt")) == "grant = jwt is not allowed: one of 'client_credentials' or 'password'"


def test_a_secret_given_in_place_of_a_reference_is_refused_without_echoing_it():
    message = refusal(CredentialRefs, refs(client_secret="sk-live-123abc"))

    assert "sk-live-123abc" not in message
    assert message.startswith("client_secret = <hidden> is not allowed: no such setting")


def test_credentials_resolve_from_the_environment():
    credentials = validated(CredentialRefs, refs(grant="password", username_env="ACME_USER", password_env="ACME_PASSWORD"))

    resolved = credentials.resolve({"ACME_ID": "id-1", "ACME_SECRET": "s3cret", "ACME_USER": "u@acme.test",
                                    "ACME_PASSWORD": "pw+token"})

    assert (resolved.client_id, resolved.client_secret.get_secret_value(), resolved.username,
            resolved.password.get_secret_value()) == ("id-1", "s3cret", "u@acme.test", "pw+token")


def test_resolved_secrets_never_show_in_a_repr_or_a_string():
    resolved = validated(CredentialRefs, refs()).resolve({"ACME_ID": "id-1", "ACME_SECRET": "s3cret"})

    assert "s3cret" not in repr(resolved)
    assert "s3cret" not in str(resolved)


def test_a_missing_environment_variable_is_named_and_no_value_is_shown():
    with pytest.raises(MissingCredentialError) as missing:
        validated(CredentialRefs, refs()).resolve({"ACME_ID": "id-1", "ACME_SECRET": ""})

    assert str(missing.value) == "environment variable ACME_SECRET (client_secret_env) is not set or empty"
    assert missing.value.missing == [("client_secret_env", "ACME_SECRET")]


def test_a_connected_tenant_has_its_connection_time():
    assert refusal(Tenant, tenant_data(status="connected")) == (
        "connected_at = None is not allowed (tenant 'acme'): the time the tenant connected: a connected tenant has one"
    )


def test_timestamps_without_a_timezone_are_refused():
    assert refusal(Tenant, tenant_data(status="connected", connected_at="2024-05-01T09:00:00")) == (
        "connected_at = 2024-05-01T09:00:00 is not allowed (tenant 'acme'): "
        "a date and time with a timezone, such as 2024-05-01T09:00:00+00:00"
    )


def test_a_disconnected_tenant_that_was_connected_has_its_disconnection_time():
    message = refusal(Tenant, tenant_data(status="disconnected", connected_at=MAY_1))

    assert message.startswith("disconnected_at = None is not allowed (tenant 'acme'): the time the tenant disconnected")


def test_a_tenant_cannot_be_connected_since_before_it_disconnected():
    message = refusal(Tenant, tenant_data(status="connected", connected_at=MAY_1, disconnected_at=MAY_1 + timedelta(1)))

    assert message.startswith("disconnected_at = 2024-05-02T09:00:00+00:00 is not allowed (tenant 'acme'): a time no later")


def test_disconnecting_stamps_the_time_and_keeps_the_connection_time(acme):
    later = MAY_1 + timedelta(days=3)

    disconnected = acme.as_disconnected(later)

    assert (disconnected.status, disconnected.connected_at, disconnected.disconnected_at) == ("disconnected", MAY_1, later)
    assert acme.status == "connected"


def test_reconnecting_stamps_the_new_connection_time(acme):
    reconnected = acme.as_disconnected(MAY_1 + timedelta(days=1)).as_connected(MAY_1 + timedelta(days=2))

    assert (reconnected.status, reconnected.connected_at) == ("connected", MAY_1 + timedelta(days=2))


def test_connecting_a_connected_tenant_again_is_refused(acme):
    with pytest.raises(SettingsError, match=r"^status = connected is not allowed \(tenant 'acme'\)"):
        acme.as_connected(MAY_1 + timedelta(days=1))


def test_disconnecting_a_disconnected_tenant_again_is_refused(acme):
    with pytest.raises(SettingsError, match=r"^status = disconnected is not allowed \(tenant 'acme'\)"):
        acme.as_disconnected(MAY_1 + timedelta(days=1)).as_disconnected(MAY_1 + timedelta(days=2))


def test_the_org_is_known_by_login_host_and_the_credentials_client(acme):
    assert acme.connection.org_key() == ("https://acme.my.salesforce.com", "ACME_CLIENT_ID")
