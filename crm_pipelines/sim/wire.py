"""Salesforce's REST wire format: error bodies, datetime text, and records as JSON.

Records are serialized a page at a time and column by column (numpy formatting of a whole
datetime column, one `tolist()` per column), then zipped into dicts for orjson: no per-cell
Python formatting, which is what keeps a 2,000-record page cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from crm_pipelines.sim.schema import FieldSpec, SObjectSchema

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})


class ApiError(Exception):
    """A Salesforce REST error: answered as `[{"message", "errorCode"[, "fields"]}]` with `status`."""

    def __init__(self, status: int, error_code: str, message: str,
                 fields: Sequence[str] | None = None) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None

    def body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            error["fields"] = self.fields
        return [error]


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)


def format_datetime(value: pd.Timestamp | None) -> str | None:
    """`2013-05-20T20:49:32.000+0000`: UTC, milliseconds, an offset with no colon."""
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_convert("UTC") if ts.tzinfo is not None else ts
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def format_date(value: pd.Timestamp | None) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _datetime_texts(values: Any, unit: str, suffix: str) -> list[str | None]:
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    stamps = index.to_numpy().astype(f"datetime64[{unit}]")
    missing = np.isnat(stamps)
    texts = np.datetime_as_string(stamps, unit=unit)
    if suffix:
        texts = np.char.add(texts, suffix)
    out = texts.astype(object)
    out[missing] = None
    return out.tolist()


def _number_values(values: Any, as_int: bool) -> list[Any]:
    numbers = pd.array(values).to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numbers)
    if as_int:
        out = np.where(missing, 0, numbers).astype(np.int64).astype(object)
    else:
        out = numbers.astype(object)
    out[missing] = None
    return out.tolist()


def column_values(spec: FieldSpec, values: Any) -> list[Any]:
    """JSON-ready values of one column slice, typed as Salesforce sends them."""
    if spec.sf_type == "datetime":
        return _datetime_texts(values, "ms", "+0000")
    if spec.sf_type == "date":
        return _datetime_texts(values, "D", "")
    if spec.sf_type in NUMBER_TYPES:
        return _number_values(values, as_int=spec.sf_type == "int")
    if spec.sf_type == "boolean":
        return pd.array(values).to_numpy(dtype=bool, na_value=False).tolist()
    return pd.array(values).to_numpy(dtype=object, na_value=None).tolist()


def sobject_url(base_path: str, sobject: str, record_id: str) -> str:
    return f"{base_path}/sobjects/{sobject}/{record_id}"


def records_json(schema: SObjectSchema, frame: pd.DataFrame, positions: np.ndarray,
                 fields: Sequence[str], base_path: str) -> list[dict[str, Any]]:
    """The records at `positions` with `fields` (in that order), each led by `attributes`."""
    url_prefix = f"{base_path}/sobjects/{schema.name}/"
    ids = frame["Id"].array.take(positions).to_numpy(dtype=object, na_value="")
    attributes = [{"type": schema.name, "url": url_prefix + record_id} for record_id in ids]
    columns = [column_values(schema.field(name), frame[name].array.take(positions))
               for name in fields]
    keys = ("attributes", *fields)
    return [dict(zip(keys, row, strict=True)) for row in zip(attributes, *columns, strict=True)]


def parse_datetime_param(text: str, name: str) -> pd.Timestamp:
    """A UTC timestamp from an ISO 8601 query parameter (`+00:00`, `+0000` or `Z` offsets)."""
    try:
        ts = pd.Timestamp(text.strip().replace(" ", "+"))
    except (ValueError, TypeError):
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       f"{name}: invalid date time value: {text}") from None
    if ts is pd.NaT:
        raise ApiError(400, "INVALID_REPLICATION_DATE", f"{name}: invalid date time value: {text}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
