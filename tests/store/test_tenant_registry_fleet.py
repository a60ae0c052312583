"""The registry at fleet size: tenants added in bulk, and `tenant list`'s lines read in one query."""

import pytest

from crm_pipelines.settings import SettingsError, Tenant, validated
from crm_pipelines.store.tenants import TenantRegistry, TenantSummary


def _tenant(tenant_id: str, client: str | None = None) -> Tenant:
    return validated(Tenant, {"id": tenant_id, "name": f"{tenant_id} Inc", "connection": {
        "login_url": f"https://{tenant_id}.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": client or "X_ID",
                        "client_secret_env": "X_SECRET"}}})


def test_summaries_show_what_the_stored_settings_say(db):
    registry = TenantRegistry(db)
    registry.add_many([_tenant("acme"), _tenant("globex"), _tenant("initech")])
    registry.set("globex", {"sync.frequency_minutes": "15", "push.enabled": "false", "api_budget.daily_limit": "500"})
    registry.disconnect("initech")
    acme, globex, initech = registry.summaries()
    assert acme == TenantSummary("acme", "acme Inc", "connected", 60, True, 60, acme.api_daily_limit,
                                 "https://acme.my.salesforce.com")
    assert acme.api_daily_limit == registry.get("acme").settings.api_budget.daily_limit
    assert (globex.sync_frequency_minutes, globex.push_enabled, globex.api_daily_limit) == (15, False, 500)
    assert initech.status == "disconnected"


def test_adding_many_refuses_an_org_that_already_serves_a_tenant_and_adds_none(db):
    registry = TenantRegistry(db)
    registry.add_many([_tenant(f"t{i}") for i in range(50)])
    same_org = validated(Tenant, {"id": "copycat", "name": "Copycat", "connection": {
        "login_url": "https://t7.my.salesforce.com",
        "credentials": {"grant": "client_credentials", "client_id_env": "X_ID", "client_secret_env": "X_SECRET"}}})
    with pytest.raises(SettingsError, match="t7"):
        registry.add_many([_tenant("fresh"), same_org])
    assert len(registry.ids()) == 50


def test_summaries_give_the_default_of_a_setting_an_older_version_did_not_store(db):
    from crm_pipelines.settings import SyncSettings
    from crm_pipelines.store.tables import tenants

    registry = TenantRegistry(db)
    registry.add(_tenant("acme"))
    stored = registry.get("acme").model_dump(mode="json")["settings"]
    del stored["sync"]
    with db.transaction() as conn:
        conn.execute(tenants.update().where(tenants.c.id == "acme").values(settings=stored))
    (acme,) = registry.summaries()
    assert acme.sync_frequency_minutes == SyncSettings.model_fields["frequency_minutes"].default
    assert acme.push_enabled is stored["push"]["enabled"]
