"""The CRM's URL is kept in one place, the tenant's connection (issue 16): the port logs in there,
`tenant list` shows it, and a change of it is seen by both."""

from __future__ import annotations

from sqlalchemy import update

from crm_pipelines.crm.resource import CrmClientResource
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tables import tenants
from crm_pipelines.store.tenants import TenantRegistry
from tests.sim_tenants import register_sim_tenant


def _calls_served(sim) -> int:
    return sim.org("acme").api_usage()["used"]


def test_a_tenant_is_reached_at_its_registered_url_and_a_change_of_it_is_seen_everywhere(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'url.db'}")
    with run_simulator(orgs=("acme",), seed=3) as first, run_simulator(orgs=("acme",), seed=3) as second:
        register_sim_tenant(db, first, "acme")
        registry = TenantRegistry(db)
        assert "login_url" not in tenants.c  # no copy of the URL beside the connection
        assert registry.summaries()[0].login_url == first.base_url

        CrmClientResource().crm_for(registry.get("acme"), lambda: None).read_org_usage()
        assert (_calls_served(first), _calls_served(second)) == (1, 0)  # /limits (the login is no API call)

        # The one place: the stored connection.
        moved = {**registry.get("acme").connection.model_dump(mode="json"), "login_url": second.base_url}
        with db.transaction() as conn:
            conn.execute(update(tenants).where(tenants.c.id == "acme").values(connection=moved))

        assert registry.get("acme").connection.login_url == second.base_url
        assert registry.summaries()[0].login_url == second.base_url
        CrmClientResource().crm_for(registry.get("acme"), lambda: None).read_org_usage()
        assert (_calls_served(first), _calls_served(second)) == (1, 1)
