from datetime import UTC, datetime

import pytest

from crm_pipelines.settings import CredentialRefs, CrmConnection, Tenant


def make_tenant(tenant_id: str = "acme", client_id_env: str = "ACME_CLIENT_ID") -> Tenant:
    return Tenant(
        id=tenant_id,
        name=tenant_id.title(),
        connection=CrmConnection(
            login_url="https://acme.my.salesforce.com",
            credentials=CredentialRefs(
                grant="client_credentials", client_id_env=client_id_env, client_secret_env="ACME_CLIENT_SECRET"
            ),
        ),
        status="connected",
        connected_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    )


@pytest.fixture
def acme() -> Tenant:
    return make_tenant()


@pytest.fixture
def tenant_named():
    """Build more tenants: `tenant_named("globex", client_id_env="GLOBEX_ID")`."""
    return make_tenant
