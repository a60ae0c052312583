"""L4: the tenant's auto-save switch and each user's choice of rules (L2, L3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field, field_serializer, field_validator

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained
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

_REBUILD_TIME = "a time of day in the tenant's time_zone, in whole minutes, such as \"05:00\""
OLDER_REBUILD_KEY = "daily_rebuild_utc"
"""The rebuild time's key before tenants had a time zone: a time in UTC."""


class AutoSaveSettings(SettingsModel):
    """The tenant admin's switch for auto-save lists, and when the daily rebuild runs."""

    enabled: bool = Field(True, description="Rebuild the auto-save lists daily for this tenant.")
    daily_rebuild_at: Annotated[time, explained(_REBUILD_TIME)] = Field(
        time(5, 0), description="When the daily list rebuild runs, local time in the tenant's time_zone.")

    @field_validator("daily_rebuild_at", mode="before")
    @classmethod
    def _time_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 5:00 as the sexagesimal integer 300, which pydantic would then
        # take as 300 seconds past midnight; only text or a time is a time of day here.
        if not isinstance(value, (str, time)):
            raise bad_setting("", value, _REBUILD_TIME)
        return value

    @field_validator("daily_rebuild_at")
    @classmethod
    def _whole_minutes_without_offset(cls, value: time) -> time:
        # The rebuild runs from a schedule that looks each minute. Its zone is the tenant's
        # time_zone: an offset here would say a second, fixed one that ignores daylight saving.
        if value.second or value.microsecond or value.tzinfo is not None:
            raise bad_setting("", value.isoformat(), _REBUILD_TIME)
        return value


def read_older_rebuild_key(auto_save: Any, time_zone: Any) -> Any:
    """`auto_save` as given, with an older `daily_rebuild_utc` read as `daily_rebuild_at`: the same
    instants while the tenant's zone is UTC (every tenant stored before zones existed). In another
    zone a UTC time is no one local time all year round, so it is refused there."""
    if not isinstance(auto_save, Mapping) or OLDER_REBUILD_KEY not in auto_save:
        return auto_save
    given = dict(auto_save)
    older = given.pop(OLDER_REBUILD_KEY)
    if "daily_rebuild_at" in given:
        raise bad_setting(OLDER_REBUILD_KEY, older, "not given with daily_rebuild_at, which replaces it")
    if (time_zone.strip() if isinstance(time_zone, str) else time_zone) not in UTC_NAMES:
        raise bad_setting(OLDER_REBUILD_KEY, older,
                          f"only a tenant in UTC keeps a UTC rebuild time; this one's time_zone is {time_zone}: "
                          "set daily_rebuild_at, in that zone")
    # A UTC time was allowed its zero offset; the local time has none.
    if isinstance(older, str) and older.endswith(("Z", "+00:00")):
        older = older.removesuffix("Z").removesuffix("+00:00")
    elif isinstance(older, time) and older.utcoffset() == timedelta(0):
        older = older.replace(tzinfo=None)
    return {**given, "daily_rebuild_at": older}


UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"})
"""The names of the one zone in which a UTC time and a local time are the same instants."""


class UserRuleSelection(SettingsModel):
    """The rules one user picked; all are on until they choose, and all off is allowed (L4)."""

    account_rules: frozenset[AccountRule] = frozenset(ACCOUNT_RULES)
    lead_rules: frozenset[LeadRule] = frozenset(LEAD_RULES)

    @field_serializer("account_rules", "lead_rules", when_used="json")
    def _sorted(self, rules: frozenset[str]) -> list[str]:
        return sorted(rules)
