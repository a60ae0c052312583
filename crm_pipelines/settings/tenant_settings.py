"""Every setting of one tenant, checked together where settings depend on each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, model_validator

from crm_pipelines.settings.auto_save import AutoSaveSettings, read_older_rebuild_key
from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.connector import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping
from crm_pipelines.settings.errors import SettingProblem, SettingsError
from crm_pipelines.settings.fields import PROSPECT_FIELDS, FieldType, app_fields_of
from crm_pipelines.settings.sync import ApiBudgetSettings, PushSettings, SyncSettings
from crm_pipelines.settings.time_zone import TimeZoneName
from crm_pipelines.settings.workflows import Workflow, workflow_problems


class TenantSettings(SettingsModel):
    """What a tenant's admin configures: time zone, API budget, sync, pushes, connector, mappings,
    lists, workflows."""

    time_zone: TimeZoneName = Field(
        "UTC", description="The tenant's IANA time zone; its local times (the daily list rebuild) are read in it.")
    api_budget: ApiBudgetSettings = ApiBudgetSettings()
    sync: SyncSettings = SyncSettings()
    push: PushSettings = PushSettings()
    connector: ConnectorSettings = ConnectorSettings()
    field_mappings: tuple[FieldMapping, ...] = Field(DEFAULT_FIELD_MAPPINGS)
    auto_save: AutoSaveSettings = AutoSaveSettings()
    workflows: tuple[Workflow, ...] = ()

    def workflow_fields(self) -> Mapping[str, FieldType]:
        """The prospect fields a workflow criterion may name: the app's catalogue and every app field
        the tenant maps for Leads and Contacts."""
        fields = dict(PROSPECT_FIELDS)
        for mapping in self.field_mappings:
            if mapping.crm_object in ("Lead", "Contact"):
                fields.setdefault(mapping.app_field, app_fields_of(mapping.crm_object)[mapping.app_field])
        return fields

    @model_validator(mode="before")
    @classmethod
    def _older_keys(cls, data: Any) -> Any:
        # Settings stored or written before tenants had a time zone name the rebuild time in UTC.
        if isinstance(data, Mapping) and isinstance(data.get("auto_save"), Mapping):
            try:
                auto_save = read_older_rebuild_key(data["auto_save"], data.get("time_zone", "UTC"))
            except SettingsError as exc:
                raise SettingsError([p.under("auto_save") for p in exc.problems]) from None
            return {**data, "auto_save": auto_save}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TenantSettings:
        problems = mapping_problems(self.field_mappings) + workflow_problems(self.workflows, self.workflow_fields())
        if problems:
            raise SettingsError(problems)
        return self


def mapping_problems(mappings: Sequence[FieldMapping]) -> list[SettingProblem]:
    """F2: one mapping per app field and per CRM field of each CRM object, or values would flow
    into one field from two places."""
    problems: list[SettingProblem] = []
    by_app_field: dict[tuple[str, str], int] = {}
    by_crm_field: dict[tuple[str, str], int] = {}
    for index, mapping in enumerate(mappings):
        app_key = (mapping.crm_object, mapping.app_field)
        crm_key = (mapping.crm_object, mapping.crm_field.lower())  # Salesforce API names ignore case
        if app_key in by_app_field:
            problems.append(SettingProblem(
                f"field_mappings[{index}].app_field", mapping.app_field,
                f"an app field not mapped yet for {mapping.crm_object}; "
                f"field_mappings[{by_app_field[app_key]}] already maps it",
            ))
        if crm_key in by_crm_field:
            problems.append(SettingProblem(
                f"field_mappings[{index}].crm_field", mapping.crm_field,
                f"a {mapping.crm_object} field not mapped yet; field_mappings[{by_crm_field[crm_key]}] already maps it",
            ))
        by_app_field.setdefault(app_key, index)
        by_crm_field.setdefault(crm_key, index)
    return problems
