"""Settings changed by dotted key, as the CLI's `tenant set acme sync.frequency_minutes=30` gives them."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import pydantic
import yaml

from crm_pipelines.settings.auto_save import OLDER_REBUILD_KEY
from crm_pipelines.settings.errors import SettingProblem, SettingsError, validated
from crm_pipelines.settings.tenant_settings import TenantSettings

_NONE_WORDS = frozenset({"", "none", "null"})


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def _field_kinds() -> dict[str, str]:
    """Every settable key and how its text is read: "scalar", "optional", "set" or "yaml"."""
    kinds: dict[str, str] = {}
    for section, section_field in TenantSettings.model_fields.items():
        if _is_model(section_field.annotation):
            for name, field in section_field.annotation.model_fields.items():
                kinds[f"{section}.{name}"] = _kind_of(field.annotation)
        elif typing.get_origin(section_field.annotation) is tuple:
            kinds[section] = "yaml"  # field_mappings and workflows: lists of records
        else:
            kinds[section] = _kind_of(section_field.annotation)  # time_zone
    return kinds


def _kind_of(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (frozenset, set):
        return "set"
    if origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation):
        return "optional"
    return "scalar"


SETTING_KEYS: Mapping[str, str] = types.MappingProxyType(_field_kinds())
"""The keys `Tenant.with_settings` accepts, each with how its text value is read."""

# Keys of older versions, still accepted from scripts written for them; TenantSettings reads their
# values (auto_save.daily_rebuild_utc: the rebuild time of a tenant in UTC).
_OLDER_KEYS: Mapping[str, tuple[str, str]] = types.MappingProxyType({
    f"auto_save.{OLDER_REBUILD_KEY}": ("auto_save.daily_rebuild_at", "scalar"),
})


def _parsed(key: str, kind: str, raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    if kind == "set":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "optional" and raw.strip().lower() in _NONE_WORDS:
        return None
    if kind == "yaml":
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise SettingsError([SettingProblem(key, raw, f"a YAML list of records ({exc})")]) from None
    return raw


def apply_dotted_updates(settings: TenantSettings, updates: Mapping[str, object]) -> TenantSettings:
    """A new TenantSettings with `updates` applied and everything re-validated, or a SettingsError
    naming each refused key; the given settings are never changed.

    Text values are read as the field's type: "30" for a number, "false" for a switch,
    "email_sent,call_connected" for a set, "none" to clear an optional number, YAML for
    field_mappings and workflows.
    """
    data = settings.model_dump(mode="python", round_trip=True)
    problems: list[SettingProblem] = []
    for key, raw in updates.items():
        kind = SETTING_KEYS.get(key)
        if key in _OLDER_KEYS:
            newer, kind = _OLDER_KEYS[key]
            data[newer.partition(".")[0]].pop(newer.partition(".")[2], None)
        if kind is None:
            problems.append(SettingProblem(key, raw, "a known setting: " + ", ".join(SETTING_KEYS)))
            continue
        try:
            value = _parsed(key, kind, raw)
        except SettingsError as exc:
            problems.extend(exc.problems)
            continue
        section, _, name = key.partition(".")
        if name:
            data[section][name] = value
        else:
            data[section] = value
    if problems:
        raise SettingsError(problems)
    return validated(TenantSettings, data)
