"""F4.8: whether the prospect's app activity is shown on its CRM record (P1), and on which records.

The setting only gates the outbound activity push; this is the one place that reads it, so the
push cannot forget to.
"""

from __future__ import annotations

import pandas as pd

from crm_pipelines.settings import ConnectorSettings


def activity_push_enabled(settings: ConnectorSettings) -> bool:
    """Whether app activity may be pushed to the CRM at all (F4.8)."""
    return settings.show_activity_in_crm


def activity_targets(matched: pd.DataFrame, settings: ConnectorSettings) -> pd.DataFrame:
    """The CRM records a prospect's activity may be logged on (prospect_id, crm_id, crm_type):
    every matched prospect's Lead or Contact when F4.8 is on, none when it is off."""
    targets = matched[["prospect_id", "crm_id", "crm_type"]].reset_index(drop=True)
    return targets if activity_push_enabled(settings) else targets.iloc[0:0]
