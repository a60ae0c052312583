"""The one configuration every settings model shares."""

from pydantic import BaseModel, ConfigDict


class SettingsModel(BaseModel):
    """Frozen, so a stored setting is changed only by building a new, validated object; and strict
    about keys, so a misspelled setting is refused instead of silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")
