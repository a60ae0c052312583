"""`kind: insightly` connections: where the instance is (pod or URL), the API key by reference."""

from __future__ import annotations

import pytest

from crm_pipelines.crm.errors import CrmAuthError
from crm_pipelines.crm.insightly.adapter import InsightlyCrm
from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.settings import SettingsError, Tenant, validated

NOW = "2026-06-01T12:00:00+00:00"


def tenant(**connection: object) -> Tenant:
    return validated(Tenant, {"id": "hooli", "name": "Hooli", "status": "connected", "connected_at": NOW,
                              "connection": {"kind": "insightly", **connection}})


def refusal(**connection: object) -> str:
    with pytest.raises(SettingsError) as refused:
        tenant(**connection)
    return str(refused.value)


def test_a_pod_names_the_instances_api_host_and_the_version_is_insightlys():
    connection = tenant(pod="na1", api_key_env="HOOLI_INSIGHTLY_KEY").connection
    assert (connection.login_url, connection.api_version) == ("https://api.na1.insightly.com", "3.1")
    assert connection.org_key() == ("https://api.na1.insightly.com", "HOOLI_INSIGHTLY_KEY")
    assert tenant(login_url="http://127.0.0.1:8000/", api_key_env="K").connection.login_url == "http://127.0.0.1:8000"


def test_what_an_insightly_connection_cannot_be_is_refused_naming_the_key_and_what_is_allowed():
    assert "connection.pod = 'NA 1' is not allowed (tenant 'hooli'): an Insightly pod such as na1" in \
        refusal(pod="NA 1", api_key_env="K")
    assert "connection.pod = na1 is not allowed (tenant 'hooli'): nothing when login_url is given" in \
        refusal(pod="na1", login_url="https://api.na1.insightly.com", api_key_env="K")
    assert "connection.api_key_env is missing (tenant 'hooli'): the name of the environment variable" in \
        refusal(pod="na1")
    assert "connection.api_version = 60.0 is not allowed (tenant 'hooli'): 3.1" in \
        refusal(pod="na1", api_key_env="K", api_version="60.0")
    oauth = {"grant": "client_credentials", "client_id_env": "A", "client_secret_env": "B"}
    assert "connection.credentials = <given> is not allowed" in refusal(pod="na1", api_key_env="K", credentials=oauth)


def test_a_salesforce_connection_takes_no_api_key_and_needs_its_credentials():
    data = {"id": "acme", "name": "Acme", "connection": {"login_url": "https://acme.test", "api_key_env": "K"}}
    with pytest.raises(SettingsError) as refused:
        validated(Tenant, data)
    message = str(refused.value)
    assert "connection.credentials is missing (tenant 'acme'): the OAuth2 credential references" in message
    assert "connection.api_key_env = <hidden> is not allowed" in message


def test_the_resource_hands_out_the_insightly_adapter_and_refuses_an_unset_key_naming_the_variable():
    hooli = tenant(login_url="http://127.0.0.1:9", api_key_env="HOOLI_INSIGHTLY_KEY")
    crm = CrmClientResource().crm_for(hooli, lambda: None, environ={"HOOLI_INSIGHTLY_KEY": "hooli"})
    assert isinstance(crm, InsightlyCrm) and crm.has_delete_log is False and crm.max_write_batch == 1
    with pytest.raises(CrmAuthError, match="environment variable HOOLI_INSIGHTLY_KEY"):
        CrmClientResource().crm_for(hooli, lambda: None, environ={})


def test_the_readmes_tenants_file_registers_an_insightly_tenant_beside_a_salesforce_one():
    from crm_pipelines.settings import load_tenants_yaml

    hooli, acme = load_tenants_yaml("""
tenants:
  - id: hooli
    name: Hooli
    connection: {kind: insightly, pod: na1, api_key_env: HOOLI_INSIGHTLY_API_KEY}
  - id: acme
    name: Acme
    connection:
      login_url: https://acme.my.salesforce.com
      credentials: {grant: client_credentials, client_id_env: ACME_ID, client_secret_env: ACME_SECRET}
""")
    assert (hooli.connection.kind, hooli.connection.login_url) == ("insightly", "https://api.na1.insightly.com")
    assert acme.connection.kind == "salesforce"
