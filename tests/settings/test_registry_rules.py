"""T2 over the whole registry: a tenant id is taken once, and one org serves one tenant."""

import pytest

from crm_pipelines.settings import SettingsError, check_can_add, registry_problems


def test_a_tenant_of_a_new_org_can_be_added(acme, tenant_named):
    check_can_add([acme], tenant_named("globex", client_id_env="GLOBEX_ID"))


def test_adding_a_tenant_whose_org_already_has_one_is_refused(acme, tenant_named):
    with pytest.raises(SettingsError) as refused:
        check_can_add([acme], tenant_named("acme-eu"))

    assert str(refused.value) == (
        "connection = 'https://acme.my.salesforce.com with ACME_CLIENT_ID' is not allowed (tenant 'acme-eu'): "
        "a CRM org no other tenant is connected to: tenant 'acme' already is, and one org serves one tenant"
    )


def test_adding_a_tenant_under_a_taken_id_is_refused(acme, tenant_named):
    with pytest.raises(SettingsError) as refused:
        check_can_add([acme], tenant_named("acme", client_id_env="OTHER_ID"))

    assert str(refused.value) == "id = acme is not allowed (tenant 'acme'): an id no other tenant has; tenants[0] has it"


def test_a_registry_of_distinct_tenants_has_no_problems(acme, tenant_named):
    assert registry_problems([acme, tenant_named("globex", client_id_env="GLOBEX_ID")]) == []
