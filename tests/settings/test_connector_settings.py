"""F4's switches and F2's field mappings."""

import pytest

from crm_pipelines.settings import (
    DEFAULT_FIELD_MAPPINGS,
    ConnectorSettings,
    FieldMapping,
    SettingsError,
    TenantSettings,
    validated,
)


def test_connector_switches_default_as_f4_says():
    assert ConnectorSettings().model_dump() == {
        "create_prospects_from_crm": True,
        "update_email_from_crm": True,
        "delete_or_merge_from_crm": True,
        "overwrite_app_with_empty_crm_values": True,
        "overwrite_crm_with_empty_app_values": False,
        "match_by_email": True,
        "crm_overwrites_opted_out": True,
        "show_activity_in_crm": True,
        "follow_crm_label_changes": True,
    }


def test_a_connector_switch_reads_text_from_the_command_line():
    assert validated(ConnectorSettings, {"match_by_email": "false"}).match_by_email is False


def test_a_misspelled_connector_switch_is_refused():
    with pytest.raises(SettingsError, match=r"^match_by_mail = False is not allowed: no such setting"):
        validated(ConnectorSettings, {"match_by_mail": False})


def mapping(**changes: str) -> dict[str, str]:
    return {"crm_object": "Lead", "app_field": "email", "crm_field": "Email", "direction": "two_way", **changes}


def test_a_mapping_names_an_app_field_of_the_object_its_crm_object_syncs_with():
    with pytest.raises(SettingsError) as refused:
        validated(FieldMapping, mapping(crm_object="Account", app_field="email"))

    assert str(refused.value) == (
        "app_field = email is not allowed: a field of the app's company, which Account records sync with: "
        "name, website, domain, industry, type, city, country, employee_count, annual_revenue, tier, "
        "owner_email, created_at, updated_at"
    )


@pytest.mark.parametrize("crm_field", ["9Email", "Email-Address", "", "A" * 41, "Email Address"])
def test_a_crm_field_must_be_a_salesforce_api_name(crm_field):
    with pytest.raises(SettingsError) as refused:
        validated(FieldMapping, mapping(crm_field=crm_field))

    assert refused.value.problems[0].field == "crm_field"
    assert refused.value.problems[0].allowed == (
        "a Salesforce field API name: a letter, then up to 39 letters, digits or underscores"
    )


def test_a_forty_character_crm_field_name_is_allowed():
    assert validated(FieldMapping, mapping(crm_field="A" * 37 + "__c")).crm_field == "A" * 37 + "__c"


def test_a_direction_is_push_pull_two_way_or_none():
    with pytest.raises(SettingsError) as refused:
        validated(FieldMapping, mapping(direction="both"))

    assert str(refused.value) == "direction = both is not allowed: one of 'push', 'pull', 'two_way' or 'none'"


def test_a_crm_object_is_one_the_connector_syncs():
    with pytest.raises(SettingsError, match=r"^crm_object = Case is not allowed: one of 'Lead', 'Contact',"):
        validated(FieldMapping, mapping(crm_object="Case"))


def test_two_mappings_of_one_app_field_of_one_object_are_refused():
    with pytest.raises(SettingsError) as refused:
        validated(TenantSettings, {"field_mappings": [mapping(), mapping(crm_field="Email2__c")]})

    assert str(refused.value) == (
        "field_mappings[1].app_field = email is not allowed: an app field not mapped yet for Lead; "
        "field_mappings[0] already maps it"
    )


def test_two_mappings_of_one_crm_field_are_refused_whatever_its_case():
    with pytest.raises(SettingsError) as refused:
        validated(TenantSettings, {"field_mappings": [mapping(), mapping(app_field="owner_email", crm_field="EMAIL")]})

    assert str(refused.value) == (
        "field_mappings[1].crm_field = EMAIL is not allowed: a Lead field not mapped yet; "
        "field_mappings[0] already maps it"
    )


def test_the_same_field_may_be_mapped_on_leads_and_on_contacts():
    settings = validated(TenantSettings, {"field_mappings": [mapping(), mapping(crm_object="Contact")]})

    assert len(settings.field_mappings) == 2


def directions(crm_object: str) -> set[str]:
    return {m.direction for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == crm_object}


def test_default_mappings_pull_accounts_and_opportunities():
    assert (directions("Account"), directions("Opportunity")) == ({"pull"}, {"pull"})


def test_default_mappings_sync_campaigns_both_ways():
    assert directions("Campaign") == {"two_way"}


def test_default_mappings_push_the_lead_score_and_sync_custom_fields_both_ways():
    by_field = {(m.crm_object, m.crm_field): m.direction for m in DEFAULT_FIELD_MAPPINGS}

    assert [by_field[(obj, f)] for obj in ("Lead", "Contact") for f in ("Lead_Score__c", "Persona__c", "Region__c")] == [
        "push", "two_way", "two_way", "push", "two_way", "two_way",
    ]


def test_default_mappings_read_lead_status_without_writing_the_apps_statuses_into_the_crm_picklist():
    status = [m for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == "Lead" and m.crm_field == "Status"]

    assert [(m.app_field, m.direction) for m in status] == [("status", "pull")]


def test_default_mappings_map_the_people_fields_of_leads_and_contacts():
    def mapped(crm_object: str) -> dict[str, str]:
        return {m.crm_field: m.app_field for m in DEFAULT_FIELD_MAPPINGS if m.crm_object == crm_object}

    people = {"FirstName": "first_name", "LastName": "last_name", "Email": "email", "Title": "title",
              "Phone": "phone", "HasOptedOutOfEmail": "opted_out", "Lead_Score__c": "lead_score",
              "Persona__c": "persona", "Region__c": "region"}
    assert people.items() <= mapped("Lead").items()
    assert people.items() <= mapped("Contact").items()
    assert mapped("Lead")["Company"] == "company"
    assert "Company" not in mapped("Contact")


def test_a_new_tenant_starts_with_the_default_mappings():
    assert TenantSettings().field_mappings == DEFAULT_FIELD_MAPPINGS
