"""L4: the tenant's auto-save switch and each user's choice of rules (L2, L3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from types import MappingProxyType
from typing import Any, Literal

from pydantic import Field, field_serializer, field_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.errors import bad_setting

AccountRule = Literal["A1", "A2", "A3"]
LeadRule = Literal["P1", "P2", "P3", "P4", "P5"]

ACCOUNT_RULES: Mapping[AccountRule, str] = MappingProxyType({
    "A1": "accounts on the user's owned open opportunities",
    "A2": "accounts the user owns",
    "A3": "accounts whose Account Team includes the user",
})

LEAD_RULES: Mapping[LeadRule, str] = MappingProxyType({
    "P1": "leads and contacts on the user's owned open opportunities",
    "P2": "leads and contacts of accounts the user owns",
    "P3": "leads and contacts the user owns",
    "P4": "contacts of accounts owned by the user's owner team "
    "(the users who share the account owner's manager, the user included)",
    "P5": "contacts of accounts whose Account Team includes the user",
})

_REBUILD_TIME = "a time of day in UTC, in whole minutes, such as \"05:00\""


class AutoSaveSettings(SettingsModel):
    """The tenant admin's switch for auto-save lists, and when the daily rebuild runs."""

    enabled: bool = Field(True, description="Rebuild the auto-save lists daily for this tenant.")
    daily_rebuild_utc: time = Field(time(5, 0), description="When the daily list rebuild runs, UTC.")

    @field_validator("daily_rebuild_utc", mode="before")
    @classmethod
    def _time_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 5:00 as the sexagesimal integer 300, which pydantic would then
        # take as 300 seconds past midnight; only text or a time is a time of day here.
        if not isinstance(value, (str, time)):
            raise bad_setting("", value, _REBUILD_TIME)
        return value

    @field_validator("daily_rebuild_utc")
    @classmethod
    def _whole_minutes_in_utc(cls, value: time) -> time:
        # The rebuild runs from a cron schedule, which counts in whole minutes.
        offset = value.utcoffset()
        if value.second or value.microsecond or (offset is not None and offset.total_seconds() != 0):
            raise bad_setting("", value.isoformat(), _REBUILD_TIME)
        return value.replace(tzinfo=None)


class UserRuleSelection(SettingsModel):
    """The rules one user picked; all are on until they choose, and all off is allowed (L4)."""

    account_rules: frozenset[AccountRule] = frozenset(ACCOUNT_RULES)
    lead_rules: frozenset[LeadRule] = frozenset(LEAD_RULES)

    @field_serializer("account_rules", "lead_rules", when_used="json")
    def _sorted(self, rules: frozenset[str]) -> list[str]:
        return sorted(rules)
