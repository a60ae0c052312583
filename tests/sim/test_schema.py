"""The simulated objects carry Salesforce's names, prefixes and describe shapes."""

import json

import pytest

from crm_pipelines.sim.schema import OBJECTS, describe, describe_global, sobject, sobject_for_id

SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}


@pytest.mark.parametrize(("name", "prefix"), [
    ("User", "005"), ("Account", "001"), ("AccountTeamMember", "01M"), ("Contact", "003"),
    ("Lead", "00Q"), ("Opportunity", "006"), ("OpportunityContactRole", "00K"),
    ("Campaign", "701"), ("Task", "00T"),
])
def test_each_object_has_salesforces_key_prefix(name: str, prefix: str) -> None:
    assert OBJECTS[name].key_prefix == prefix


def test_every_object_has_the_system_fields() -> None:
    for schema in OBJECTS.values():
        assert SYSTEM_FIELDS <= set(schema.field_names()), schema.name
        assert schema.field_names()[0] == "Id"


def test_sobject_lookup_is_case_insensitive() -> None:
    assert sobject("oPPortunity").name == "Opportunity"


def test_unknown_object_raises_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="Widget__c"):
        sobject("Widget__c")


def test_field_lookup_is_case_insensitive_and_names_unknown_fields() -> None:
    assert OBJECTS["Contact"].field("systemmodstamp").name == "SystemModstamp"
    with pytest.raises(KeyError, match="No such column 'Idd' on entity 'Contact'"):
        OBJECTS["Contact"].field("Idd")


def test_app_external_id_is_an_external_unique_custom_field_where_the_app_pushes() -> None:
    for name in ("Lead", "Contact", "Task", "Campaign"):
        spec = OBJECTS[name].field("App_External_Id__c")
        assert (spec.external_id, spec.unique, spec.custom, spec.length) == (True, True, True, 80)


def test_lead_score_is_a_number_on_lead_and_contact() -> None:
    assert OBJECTS["Lead"].field("Lead_Score__c").sf_type == "double"
    assert OBJECTS["Contact"].field("Lead_Score__c").sf_type == "double"


def test_person_name_is_computed_not_writable() -> None:
    for name in ("User", "Contact", "Lead"):
        spec = OBJECTS[name].field("Name")
        assert not spec.createable and not spec.updateable


def test_lead_status_picklist_holds_the_converted_status() -> None:
    assert OBJECTS["Lead"].field("Status").picklist_values == (
        "Open - Not Contacted", "Working - Contacted", "Closed - Converted",
        "Closed - Not Converted", "Disqualified",
    )


def test_required_on_create_excludes_defaulted_fields() -> None:
    required = {f.name for f in OBJECTS["Lead"].fields if f.required_on_create}
    assert required == {"LastName", "Company"}
    required = {f.name for f in OBJECTS["Opportunity"].fields if f.required_on_create}
    assert required == {"Name", "StageName", "CloseDate"}


def test_sobject_for_id_reads_the_key_prefix() -> None:
    assert sobject_for_id("00Q5g000000000AEAQ").name == "Lead"
    assert sobject_for_id("a0X5g000000000AEAQ") is None


def test_describe_has_the_keys_connectors_read() -> None:
    body = describe("Contact")
    assert body["name"] == "Contact" and body["keyPrefix"] == "003"
    assert body["label"] == "Contact" and body["labelPlural"] == "Contacts"
    assert body["queryable"] and body["replicateable"] and body["createable"]
    assert body["urls"] == {
        "sobject": "/services/data/v60.0/sobjects/Contact",
        "describe": "/services/data/v60.0/sobjects/Contact/describe",
        "rowTemplate": "/services/data/v60.0/sobjects/Contact/{ID}",
    }
    json.dumps(body)  # the server sends it as it is


def test_describe_field_entries_use_salesforce_keys_and_types() -> None:
    fields = {f["name"]: f for f in describe("Contact")["fields"]}
    account = fields["AccountId"]
    assert account["type"] == "reference" and account["referenceTo"] == ["Account"]
    assert account["relationshipName"] == "Account" and account["soapType"] == "tns:ID"
    assert account["compoundFieldName"] is None and account["calculated"] is False
    ext = fields["App_External_Id__c"]
    assert (ext["type"], ext["length"], ext["externalId"], ext["unique"], ext["custom"]) == (
        "string", 80, True, True, True)
    stamp = fields["SystemModstamp"]
    assert (stamp["type"], stamp["soapType"], stamp["nillable"], stamp["createable"]) == (
        "datetime", "xsd:dateTime", False, False)
    persona = fields["Persona__c"]
    assert persona["picklistValues"][0] == {
        "active": True, "defaultValue": False, "label": "Economic Buyer", "validFor": None,
        "value": "Economic Buyer"}


def test_polymorphic_reference_lists_every_target() -> None:
    who = {f["name"]: f for f in describe("Task")["fields"]}["WhoId"]
    assert who["referenceTo"] == ["Contact", "Lead"] and who["polymorphicForeignKey"] is True
    assert who["relationshipName"] == "Who"


def test_describe_applies_label_overrides() -> None:
    fields = {f["name"]: f for f in describe("Lead", label_overrides={"lead_score__c": "Score"})["fields"]}
    assert fields["Lead_Score__c"]["label"] == "Score"


def test_describe_rejects_label_overrides_for_unknown_fields() -> None:
    with pytest.raises(KeyError, match="Nope__c"):
        describe("Lead", label_overrides={"Nope__c": "x"})


def test_describe_uses_the_given_base_path() -> None:
    assert describe("Lead", base_path="/services/data/v59.0")["urls"]["describe"] == (
        "/services/data/v59.0/sobjects/Lead/describe")


def test_describe_global_lists_every_object() -> None:
    body = describe_global()
    assert body["encoding"] == "UTF-8" and body["maxBatchSize"] == 200
    assert {o["name"] for o in body["sobjects"]} == set(OBJECTS)
    account = next(o for o in body["sobjects"] if o["name"] == "Account")
    assert account["keyPrefix"] == "001" and account["urls"]["rowTemplate"].endswith("/Account/{ID}")
