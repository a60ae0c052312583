"""Within a run, the database resource reads a tenant's whole row once and still sees a change made
meanwhile (a disconnect stops the CRM reads of the run's next step, T3)."""

from dagster import build_resources

from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.resource import DatabaseResource
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import db_url


def test_a_run_reads_its_tenant_once_and_sees_a_disconnect_made_meanwhile(db):
    registry = TenantRegistry(db)
    registry.add(validated(Tenant, {"id": "acme", "name": "Acme", "connection": {
        "login_url": "https://acme.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}}))
    with build_resources({"database": DatabaseResource(database_url=db_url(db))}) as resources:
        run = resources.database
        first = run.tenants().get("acme")
        assert run.tenants().get("acme") is first
        registry.disconnect("acme")
        assert run.tenants().get("acme").status == "disconnected"
