"""Time, as the pipeline sees it.

Budgets, deferrals and schedules ask this clock, never `datetime.now` directly, so that a test (or
an operator replaying a day) can move time forward without waiting 24 hours for a window to reopen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dagster import ConfigurableResource
from pydantic import Field

Clock = Callable[[], datetime]

# On a run whose clock was moved (the demo's): how far, so what it logged can be read in real time.
CLOCK_OFFSET_TAG = "crm_pipelines/clock_offset_seconds"


def system_clock() -> datetime:
    return datetime.now(UTC)


class ClockResource(ConfigurableResource):
    """The pipeline's clock: the system's UTC time, shifted by `offset_seconds`."""

    offset_seconds: float = Field(default=0.0, description="Added to the system time; 0 in production.")

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)
