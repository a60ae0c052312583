"""`/sobjects/{T}/updated/` and `/sobjects/{T}/deleted/`, Salesforce's replication resources.

Windows are whole minutes (Salesforce ignores seconds), half-open [start, end), and end no later
than the org's current minute; `latestDateCovered` is where that window stopped, to be used as the
next start. The start may reach back 30 days of the org's clock at most (INVALID_REPLICATION_DATE
otherwise). `/deleted/` reads the delete log: records in the recycle bin and records purged from it
(hard-deleted), each with the time it was deleted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.wire import ApiError, column_values, format_datetime, parse_datetime_param

MAX_DAYS_BACK = 30


def _window(call: ApiCall) -> tuple[pd.Timestamp, pd.Timestamp]:
    start_text, end_text = call.params.get("start"), call.params.get("end")
    if not start_text or not end_text:
        raise ApiError(400, "MISSING_ARGUMENT", "start and end must both be specified")
    start = parse_datetime_param(start_text, "start").floor("min")
    end = parse_datetime_param(end_text, "end").floor("min")
    now = call.org.clock.now()
    if start >= end:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       "startDate must chronologically precede endDate by more than one minute")
    if start < now - pd.Timedelta(days=MAX_DAYS_BACK):
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       f"startDate cannot be more than {MAX_DAYS_BACK} days ago")
    if start > now:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be in the future")
    return start, min(end, now.floor("min"))


def _in_window(call: ApiCall, deleted: bool) -> tuple[pd.DataFrame, pd.Timestamp]:
    schema = sobject(call.path_args[0])
    start, covered = _window(call)
    frame = call.org.tables[schema.name].frame()
    stamps = frame["SystemModstamp"]
    mask = (frame["IsDeleted"].to_numpy(dtype=bool) == deleted) \
        & (stamps >= start).to_numpy(dtype=bool, na_value=False) \
        & (stamps < covered).to_numpy(dtype=bool, na_value=False)
    return frame.iloc[np.flatnonzero(mask)], covered


def updated(call: ApiCall) -> ApiReply:
    rows, covered = _in_window(call, deleted=False)
    return ApiReply(body={"ids": rows["Id"].astype(str).tolist(),
                          "latestDateCovered": format_datetime(covered)})


def deleted(call: ApiCall) -> ApiReply:
    rows, covered = _in_window(call, deleted=True)
    spec = sobject(call.path_args[0]).field("SystemModstamp")
    dates = column_values(spec, rows["SystemModstamp"].array)
    earliest = (call.org.clock.now() - pd.Timedelta(days=MAX_DAYS_BACK)).floor("min")
    return ApiReply(body={
        "deletedRecords": [{"id": record_id, "deletedDate": date}
                           for record_id, date in zip(rows["Id"].astype(str).tolist(), dates, strict=True)],
        "earliestDateAvailable": format_datetime(earliest),
        "latestDateCovered": format_datetime(covered),
    })
