"""How much and how often a tenant talks to its CRM: the API budget (S1), the sync (S2, S4) and the
outbound pushes (S3, S4, P2, P4c)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_serializer

from crm_pipelines.settings.base import SettingsModel
from crm_pipelines.settings.constraints import explained

DailyLimit = Annotated[int, Field(ge=1, le=10_000_000), explained("an integer from 1 to 10000000")]
OrgReservePercent = Annotated[int, Field(ge=0, le=90), explained("an integer from 0 to 90")]
FrequencyMinutes = Annotated[int, Field(ge=5, le=240), explained("an integer from 5 to 240")]
LookbackSeconds = Annotated[int, Field(ge=0, le=86_400), explained("an integer from 0 to 86400")]
IntervalMinutes = Annotated[
    int, Field(ge=10, le=1440), explained("an integer from 10 to 1440 (10 minutes to 24 hours)")
]
BulkAboveRecords = Annotated[
    int, Field(ge=0, le=100_000_000), explained("an integer from 0 to 100000000 (0: always Bulk where the CRM has it)")
]
InterestThreshold = Annotated[int, Field(ge=0, le=100), explained("an integer from 0 to 100, or none")]

TouchOutcome = Literal[
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_replied",
    "email_bounced",
    "call_connected",
    "call_no_answer",
    "call_left_voicemail",
    "call_wrong_number",
    "linkedin_message_sent",
    "task_completed",
    "touch_skipped",
]


class ApiBudgetSettings(SettingsModel):
    """S1: the tenant's own share of its org's daily API quota."""

    daily_limit: DailyLimit = Field(
        5000, description="CRM API calls this tenant may make per 24-hour window; every HTTP request counts."
    )
    org_reserve_percent: OrgReservePercent = Field(
        20,
        description="Share of the org's daily API cap left to its other integrations: no call is made that "
        "would take the org's remaining quota (/limits, Sforce-Limit-Info) under it; the run defers instead. "
        "0: calls go on until the org itself refuses them (REQUEST_LIMIT_EXCEEDED).",
    )
    window_hours: Annotated[Literal[24], explained("24: the window is fixed at 24 hours")] = Field(24, description="The budget window; fixed, like Salesforce's own.")


class SyncSettings(SettingsModel):
    """S2, S4: the CRM → app sync."""

    frequency_minutes: FrequencyMinutes = Field(60, description="Minutes between CRM → app syncs.")
    crm_to_app: bool = Field(True, description="Sync CRM → app at all.")
    updates_with_criteria: bool = Field(
        False, description="Run the cadence workflows (W*) on the CRM updates each sync brings."
    )
    lookback_seconds: LookbackSeconds = Field(
        600,
        description="Each incremental read starts this far before the last cursor, to catch records "
        "committed late with an earlier SystemModstamp.",
    )
    bulk_above_records: BulkAboveRecords | None = Field(
        20_000,
        description="A read of more records than this goes through the CRM's bulk query (Salesforce's Bulk API "
        "2.0: a few calls plus one per 50,000 records, where REST pays one per 2,000); smaller reads use REST. "
        "The first REST page of a read tells its size and is kept; the job reads the rest. none: always REST.",
    )


class PushSettings(SettingsModel):
    """S3, S4, P2, P4: the app → CRM pushes."""

    enabled: bool = Field(True, description="Pushes at all; when off, no trigger pushes (P4).")
    interval_minutes: IntervalMinutes = Field(60, description="Minutes between scheduled pushes.")
    app_to_crm: bool = Field(True, description="Sync app → CRM field values (S4).")
    interest_threshold: InterestThreshold | None = Field(
        None, description="Lead score at which a prospect is pushed (P4c); none: never on score."
    )
    activity_touch_outcomes: frozenset[TouchOutcome] = Field(
        frozenset(), description="Cadence touch outcomes logged in the CRM as Tasks (P2)."
    )

    @field_serializer("activity_touch_outcomes", when_used="json")
    def _sorted_outcomes(self, outcomes: frozenset[TouchOutcome]) -> list[str]:
        # A stored setting must serialize the same way each time, or every save looks like a change.
        return sorted(outcomes)
