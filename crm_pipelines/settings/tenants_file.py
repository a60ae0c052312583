"""Tenants imported from a YAML file: a list of tenants, or `{tenants: [...]}`."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import model_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.errors import SettingProblem, SettingsError, bad_setting, validated
from crm_pipelines.settings.registry_rules import registry_problems
from crm_pipelines.settings.tenant import Tenant


class _TenantsFile(SettingsModel):
    tenants: list[Tenant]

    @model_validator(mode="after")
    def _one_org_per_tenant(self) -> _TenantsFile:
        problems = registry_problems(self.tenants)
        if problems:
            raise SettingsError(problems)
        return self


def load_tenants_yaml(text: str) -> list[Tenant]:
    """Every tenant in the file, validated, or a SettingsError naming each bad value by its path
    (`tenants[1].settings.sync.frequency_minutes`) and tenant; nothing is returned half-read."""
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "the file"
        raise SettingsError([SettingProblem("tenants", where, f"well-formed YAML: {getattr(exc, 'problem', exc)}")]) from None
    if isinstance(document, list):
        document = {"tenants": document}
    if not isinstance(document, dict) or set(document) != {"tenants"}:
        raise bad_setting("tenants", _shape(document), "a YAML list of tenants, or a mapping with the one key tenants")
    return validated(_TenantsFile, document).tenants


def _shape(document: Any) -> str:
    if document is None:
        return "an empty file"
    if isinstance(document, dict):
        return "a mapping with keys " + ", ".join(map(str, document))
    return f"a {type(document).__name__}"
