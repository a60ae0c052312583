"""Resources take the database URL (which carries a PostgreSQL password) as a Dagster EnvVar: the
definitions hold the variable's name, and the run reads its value in its own process."""

from dagster import DagsterInstance, EnvVar, materialize

from crm_pipelines.definitions import build_definitions
from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.paths import DB_URL_ENV
from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry


def test_the_database_url_is_an_envvar_read_by_the_run(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'secret.db'}"
    monkeypatch.setenv(DB_URL_ENV, url)
    TenantRegistry(open_database(url)).add(validated(Tenant, {
        "id": "acme", "name": "Acme",
        "connection": {"login_url": "https://acme.my.salesforce.com", "credentials": {
            "grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}},
    }))
    defs = build_definitions()
    for key in ("database", "tenant_io_manager"):
        configured = defs.resources[key].database_url
        assert isinstance(configured, EnvVar) and configured.env_var_name == DB_URL_ENV
        assert url not in repr(defs.resources[key])

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenant_partitions.name, ["acme"])
    result = materialize([defs.get_assets_def("tenant_settings")], partition_key="acme", instance=instance,
                         resources=defs.resources)
    assert result.success
    assert len(result.output_for_node("tenant_settings")) > 0


def test_without_the_variable_the_local_sqlite_default_needs_no_envvar(monkeypatch):
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    assert build_definitions().resources["database"].database_url is None
