"""Query results as the Bulk APIs write CSV: a header of the selected field names, every value in
double quotes (quotes inside doubled), empty for null, datetimes `2024-03-01T12:00:00.000Z`, dates
`2024-03-01`, booleans `true`/`false`.

A results page is tens of thousands of records, so no value is formatted on its own: each column
becomes one Arrow string array (numpy text for datetimes; doubles and ints formatted once per
distinct value; Arrow string columns taken as they are), and Arrow's CSV writer does the quoting
and joining in C++.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crm_pipelines.sim.schema import FieldSpec, SObjectSchema

DELIMITERS = {"COMMA": ",", "BACKQUOTE": "`", "CARET": "^", "PIPE": "|", "SEMICOLON": ";", "TAB": "\t"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
# Bulk API 1.0 answers a query that selected nothing with this line instead of a CSV header.
NO_RECORDS_TEXT = "Records not found for this query"
_DOUBLE_TYPES = frozenset({"double", "currency", "percent"})
_BOOLEAN_TEXTS = pa.array(["false", "true"])
# Rows Arrow formats at a time: a whole page in a few batches rather than the default 1,024.
_WRITE_BATCH_ROWS = 65_536


def java_double_text(value: float) -> str:
    """A double as Java's Double.toString writes it, which is what the Bulk APIs send: decimal
    from 0.001 up to 10 million (`5366000.0`), scientific beyond (`1.2345678E7`, `1.0E-4`)."""
    if value == 0:
        return "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(float(value))
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    kept = list(digits)
    while len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1  # type: ignore[operator]
    power = len(kept) + int(exponent) - 1
    mantissa = f"{kept[0]}." + ("".join(map(str, kept[1:])) or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _blank_where(missing: np.ndarray, texts: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(missing), "", texts) if missing.any() else texts


def _datetime_texts(values: Any, unit: str, suffix: str) -> pa.Array:
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    stamps = index.to_numpy().astype(f"datetime64[{unit}]")
    texts = pa.array(np.datetime_as_string(stamps, unit=unit))
    if suffix:
        texts = pc.binary_join_element_wise(texts, suffix, "")
    return _blank_where(np.isnat(stamps), texts)


def _number_texts(values: Any, as_int: bool) -> pa.Array:
    """Each distinct number formatted once, then spread by index: pages repeat values a lot, and
    even when they do not, one call per value beats one per cell plus quoting and joining."""
    numbers = pd.array(values).to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numbers)
    if as_int:
        distinct, index = np.unique(np.where(missing, 0, numbers).astype(np.int64)[~missing],
                                    return_inverse=True)
        texts = [str(number) for number in distinct.tolist()]
    else:
        distinct, index = np.unique(numbers[~missing], return_inverse=True)
        texts = [java_double_text(number) for number in distinct.tolist()]
    positions = np.full(len(numbers), len(texts), dtype=np.int64)
    positions[~missing] = index
    return pa.array([*texts, ""]).take(pa.array(positions))


def _string_texts(values: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(getattr(values, "dtype", None), pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pc.fill_null(values.__arrow_array__(), "")
    plain = pd.array(values).to_numpy(dtype=object, na_value=None)
    try:
        return pc.fill_null(pa.array(plain, type=pa.string()), "")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Not all str (an anyType column holding numbers): written as str() writes them.
        return pa.array(["" if value is None else str(value) for value in plain], type=pa.string())


def _texts(spec: FieldSpec, values: Any) -> pa.Array | pa.ChunkedArray:
    """One column of a page as the unquoted text of each cell, "" for null."""
    sf_type = spec.sf_type
    if sf_type == "datetime":
        # REST writes +0000; the Bulk APIs write Z.
        return _datetime_texts(values, "ms", "Z")
    if sf_type == "date":
        return _datetime_texts(values, "D", "")
    if sf_type == "boolean":
        flags = pd.array(values).to_numpy(dtype=bool, na_value=False)
        return _BOOLEAN_TEXTS.take(pa.array(flags.view(np.int8)))
    if sf_type in _DOUBLE_TYPES or sf_type == "int":
        return _number_texts(values, as_int=sf_type == "int")
    return _string_texts(values)


def csv_bytes(schema: SObjectSchema, frame: pd.DataFrame, positions: np.ndarray,
              fields: Sequence[str], *, delimiter: str = ",", line_ending: str = "\n") -> bytes:
    """The CSV of the records at `positions` with `fields` as columns, header first."""
    header = (delimiter.join(_quoted(name) for name in fields) + line_ending).encode("utf-8")
    columns = [_texts(schema.field(name), frame[name].array.take(positions)) for name in fields]
    # Column names are positional here (a query may select a field twice); the header is our own.
    table = pa.Table.from_arrays(columns, names=[str(i) for i in range(len(fields))])
    out = io.BytesIO()
    out.write(header)
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(
        include_header=False, batch_size=_WRITE_BATCH_ROWS, delimiter=delimiter,
        quoting_style="all_valid", eol=line_ending))
    return out.getvalue()
