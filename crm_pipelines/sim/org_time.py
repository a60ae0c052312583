"""Which time an org lives in: the wall clock (the default) or the fixed, deterministic one.

Generated data is always built around a fixed instant (`generate.org_now`), so the same names, scale
and seed give the same records. On the wall clock the whole org is then moved in time so that the
instant of generation is now: every record keeps its age, the history lies in the past, and a
client that windows by its own clock (`SystemModstamp >= now - 10 minutes`, `/updated/?end=now`)
sees the org's writes where a real org would put them. Tests and the demo pick the fixed clock,
which they may move forward through the control API.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # the command line reads the modes below without paying for pandas
    import pandas as pd

    from crm_pipelines.sim.generate import OrgData

OrgClockMode = Literal["wall", "fixed"]
ORG_CLOCK_MODES: tuple[str, ...] = get_args(OrgClockMode)


def wall_now() -> pd.Timestamp:
    """Now, as Salesforce stamps it: UTC, to the millisecond."""
    import pandas as pd

    return pd.Timestamp.now(tz="UTC").floor("ms")


def moved_to(data: OrgData, now: pd.Timestamp) -> OrgData:
    """The same org with its generation instant at `now`: date-times move by the exact difference;
    date-only fields (CloseDate, StartDate, ...) by whole days, so they stay dates."""
    import pandas as pd

    delta = pd.Timestamp(now).floor("ms") - data.now
    days = pd.Timedelta(days=delta.days)
    tables = {}
    for name, table in data.tables.items():
        moved = table.copy(deep=False)
        for column, dtype in table.dtypes.items():
            if isinstance(dtype, pd.DatetimeTZDtype):
                moved[column] = table[column] + delta
            elif pd.api.types.is_datetime64_dtype(dtype):
                moved[column] = table[column] + days
        tables[name] = moved
    return replace(data, tables=tables, now=data.now + delta)


def in_time(data: OrgData, mode: OrgClockMode) -> OrgData:
    """The org on the clock `mode` names."""
    if mode not in ORG_CLOCK_MODES:
        raise ValueError(f"org clock {mode!r} is not one of {', '.join(ORG_CLOCK_MODES)}")
    return moved_to(data, wall_now()) if mode == "wall" else data
