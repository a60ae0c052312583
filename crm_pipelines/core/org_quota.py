"""The org's own daily API quota, shared with every other integration of the org (S1).

The tenant keeps `reserve_percent` of the org's daily cap for the others: a call is made only if,
after it, the org still has at least that share left.
"""

from __future__ import annotations

import math


def reserved_calls(maximum: int, reserve_percent: float) -> int:
    """How many of the org's daily calls are left to its other integrations."""
    return math.ceil(maximum * reserve_percent / 100)


def calls_above_reserve(used: int, maximum: int, reserve_percent: float) -> int:
    """How many more calls the org can take before it would fall below the reserve (never negative)."""
    return max(0, maximum - used - reserved_calls(maximum, reserve_percent))


def reserve_reason(used: int, maximum: int, reserve_percent: float) -> str:
    """Why a run stops for the org's reserve, in words a person reads in the run and the UI."""
    return (f"the org has {maximum - used} of its {maximum} daily API calls left (other integrations included); "
            f"the last {reserved_calls(maximum, reserve_percent)} ({reserve_percent:g}%, "
            "api_budget.org_reserve_percent) are kept for its other integrations")
