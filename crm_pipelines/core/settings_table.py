"""A tenant's settings as a table a person can read in the UI, one row per setting."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel

from crm_pipelines.settings import TenantSettings

SETTINGS_COLUMNS = ["setting", "value", "is_default", "captured_at"]


def flatten(model: BaseModel) -> dict[str, Any]:
    """Dotted paths to leaf values (lists and sets stay whole: a workflow is one setting)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            out[prefix] = value

    walk("", model.model_dump(mode="json"))
    return out


def settings_table(settings: TenantSettings, captured_at: datetime) -> pd.DataFrame:
    """Rows of (setting, JSON value, is_default, captured_at), sorted by setting."""
    current = flatten(settings)
    defaults = flatten(TenantSettings())
    rows = [
        {
            "setting": key,
            "value": json.dumps(value, sort_keys=True),
            "is_default": key in defaults and defaults[key] == value,
            "captured_at": captured_at,
        }
        for key, value in sorted(current.items())
    ]
    return pd.DataFrame(rows, columns=SETTINGS_COLUMNS)
