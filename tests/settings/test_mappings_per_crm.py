"""F2 per CRM: a tenant starts with its CRM's default mappings, and a mapping naming a field its
CRM lacks is refused where it is configured, naming the field and the CRM."""

from typing import Any

import pytest

from crm_pipelines.crm.insightly.objects import OBJECTS
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, SettingsError, Tenant, TenantSettings, validated
from crm_pipelines.settings.connector import INSIGHTLY_FIELD_MAPPINGS
from crm_pipelines.settings.crm_fields import INSIGHTLY_FIELDS

INSIGHTLY = {"kind": "insightly", "pod": "na1", "api_key_env": "HOOLI_KEY"}
SALESFORCE = {"login_url": "https://acme.my.salesforce.com",
              "credentials": {"grant": "client_credentials", "client_id_env": "ID", "client_secret_env": "SECRET"}}


def tenant(connection: dict[str, Any], **settings: Any) -> Tenant:
    data: dict[str, Any] = {"id": "hooli", "name": "Hooli", "connection": connection}
    if settings:
        data["settings"] = settings
    return validated(Tenant, data)


def mapped(t: Tenant) -> set[tuple[str, str]]:
    return {(m.crm_object, m.crm_field) for m in t.settings.field_mappings}


def test_a_salesforce_tenant_starts_with_the_salesforce_mappings():
    assert tenant(SALESFORCE).settings.field_mappings == DEFAULT_FIELD_MAPPINGS


def test_an_insightly_tenant_starts_with_mappings_of_fields_insightly_has():
    fields = mapped(tenant(INSIGHTLY))
    assert ("Lead", "LeadSource") in fields and ("Lead", "Lead_Score__c") in fields
    assert ("Contact", "Lead_Score__c") in fields and ("Contact", "Email") in fields
    assert ("Contact", "LeadSource") not in fields
    assert ("Account", "Industry") not in fields
    assert not {f for f in fields if f[0] == "Campaign"}


def test_settings_given_without_mappings_still_get_the_crm_defaults():
    from_mapping = tenant(INSIGHTLY, time_zone="Europe/Paris")
    assert from_mapping.settings.field_mappings == INSIGHTLY_FIELD_MAPPINGS
    assert from_mapping.settings.time_zone == "Europe/Paris"
    from_model = validated(Tenant, {"id": "hooli", "name": "Hooli", "connection": INSIGHTLY,
                                    "settings": TenantSettings(time_zone="Europe/Paris")})
    assert from_model.settings.field_mappings == INSIGHTLY_FIELD_MAPPINGS


def test_an_insightly_mapping_of_a_field_insightly_lacks_is_refused_naming_field_and_crm():
    with pytest.raises(SettingsError) as refused:
        tenant(INSIGHTLY, field_mappings=[
            {"crm_object": "Contact", "crm_field": "Email", "app_field": "email", "direction": "two_way"},
            {"crm_object": "Contact", "crm_field": "LeadSource", "app_field": "lead_source", "direction": "two_way"},
            {"crm_object": "Campaign", "crm_field": "Name", "app_field": "name", "direction": "pull"},
        ])
    problems = {p.field: p for p in refused.value.problems}
    assert set(problems) == {"settings.field_mappings[1].crm_field", "settings.field_mappings[2].crm_object"}
    contact = problems["settings.field_mappings[1].crm_field"]
    assert contact.value == "LeadSource"
    assert "Insightly" in contact.allowed and "Contacts" in contact.allowed and "MailingCity" in contact.allowed
    assert "insightly" in contact.allowed
    assert problems["settings.field_mappings[2].crm_object"].value == "Campaign"


def test_salesforce_mappings_carried_over_to_insightly_are_refused():
    carried = [m.model_dump() for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == "Contact"]
    with pytest.raises(SettingsError) as refused:
        tenant(INSIGHTLY, field_mappings=carried)
    assert [p.value for p in refused.value.problems] == ["LeadSource"]


def test_an_insightly_tenant_stored_with_the_salesforce_defaults_loads_with_insightlys():
    # Settings stored before mappings depended on the CRM hold Salesforce's defaults, whole.
    stored = tenant(INSIGHTLY, field_mappings=[m.model_dump(mode="json") for m in DEFAULT_FIELD_MAPPINGS])
    assert stored.settings.field_mappings == INSIGHTLY_FIELD_MAPPINGS
    again = validated(Tenant, {"id": "hooli", "name": "Hooli", "connection": INSIGHTLY,
                               "settings": TenantSettings(field_mappings=DEFAULT_FIELD_MAPPINGS)})
    assert again.settings.field_mappings == INSIGHTLY_FIELD_MAPPINGS


def test_custom_fields_are_mappable_on_insightly():
    t = tenant(INSIGHTLY, field_mappings=[
        {"crm_object": "Contact", "crm_field": "Persona__c", "app_field": "persona", "direction": "pull"}])
    assert mapped(t) == {("Contact", "Persona__c")}


def test_a_salesforce_tenant_may_map_any_field_its_org_has():
    t = tenant(SALESFORCE, field_mappings=[
        {"crm_object": "Contact", "crm_field": "LeadSource", "app_field": "lead_source", "direction": "two_way"}])
    assert mapped(t) == {("Contact", "LeadSource")}


@pytest.mark.parametrize("crm_object", sorted(INSIGHTLY_FIELDS))
def test_the_settings_know_the_fields_the_insightly_adapter_serves(crm_object):
    # One list read by the settings, one by the adapter: they must name the same fields.
    view = OBJECTS[crm_object]
    assert INSIGHTLY_FIELDS[crm_object] == set(view.served_fields()) - {"Id", "IsDeleted"}
