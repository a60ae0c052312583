"""A tenant's time zone: where its local times (the daily list rebuild) are read."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator

from crm_pipelines.settings.errors import bad_setting

# Files some hosts keep beside the zones: they name whatever zone that machine is set to, so a
# tenant's rebuild would move with the machine its daemon runs on.
_HOST_DEPENDENT = frozenset({"localtime", "posixrules"})
_ALLOWED = "an IANA time zone name, such as Europe/Berlin, America/Los_Angeles or UTC"


def _known_zone(value: Any) -> Any:
    if not isinstance(value, str):
        raise bad_setting("", value, _ALLOWED)
    name = value.strip()
    if name in _HOST_DEPENDENT:
        raise bad_setting("", value, _ALLOWED + "; not the host's own zone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: a name that is not a key at all ("../etc", an empty string).
        raise bad_setting("", value, _ALLOWED) from None
    return name


TimeZoneName = Annotated[str, BeforeValidator(_known_zone)]
"""An IANA zone name that zoneinfo knows; stored as the name, so a tenant's settings stay JSON."""


def zone(name: str) -> ZoneInfo:
    """The zone of a validated name (zoneinfo caches each zone, so this is cheap per tick)."""
    return ZoneInfo(name)
