"""A registry with one tenant, in a data folder of its own, for the command-line tests."""

from __future__ import annotations

import pytest

from crm_pipelines.settings import Tenant, validated
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry


def tenant(tenant_id: str) -> Tenant:
    return validated(Tenant, {
        "id": tenant_id, "name": tenant_id.title(),
        "connection": {"login_url": f"https://{tenant_id}.my.salesforce.com",
                       "credentials": {"grant": "client_credentials", "client_id_env": "X_ID",
                                       "client_secret_env": "X_SECRET"}},
    })


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    """A data folder holding acme's registry; the environment names no database, so the data folder decides."""
    monkeypatch.delenv("CRM_PIPELINES_DB_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("CRM_PIPELINES_DATA_DIR", raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    TenantRegistry(open_database(f"sqlite:///{folder / 'crm_pipelines.db'}")).add(tenant("acme"))
    monkeypatch.chdir(tmp_path)  # the default ./.data is then an empty folder of this test's own
    return folder
