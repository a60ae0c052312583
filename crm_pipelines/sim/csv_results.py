"""Query results as the Bulk APIs write CSV: a header of the selected field names, every value in
double quotes (quotes inside doubled), empty for null, datetimes `2024-03-01T12:00:00.000Z`, dates
`2024-03-01`, booleans `true`/`false`.

Columns are formatted a whole column at a time (as wire.records_json does for JSON), so a page of
tens of thousands of records costs one pass per column, not one formatting call per cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crm_pipelines.sim.schema import FieldSpec, SObjectSchema
from crm_pipelines.sim.wire import column_values

DELIMITERS = {"COMMA": ",", "BACKQUOTE": "`", "CARET": "^", "PIPE": "|", "SEMICOLON": ";", "TAB": "\t"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
# Bulk API 1.0 answers a query that selected nothing with this line instead of a CSV header.
NO_RECORDS_TEXT = "Records not found for this query"


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


def _texts(spec: FieldSpec, values: Any) -> list[str]:
    plain = column_values(spec, values)
    sf_type = spec.sf_type
    if sf_type == "datetime":
        # REST writes +0000; the Bulk APIs write Z.
        return ['""' if v is None else f'"{v[:-5]}Z"' for v in plain]
    if sf_type == "boolean":
        return ['"true"' if v else '"false"' for v in plain]
    if sf_type in ("double", "currency", "percent"):
        return ['""' if v is None else f'"{java_double_text(v)}"' for v in plain]
    if sf_type in ("int", "date"):
        return ['""' if v is None else f'"{v}"' for v in plain]
    return ['""' if v is None else _quoted(str(v)) for v in plain]


def csv_bytes(schema: SObjectSchema, frame: pd.DataFrame, positions: np.ndarray,
              fields: Sequence[str], *, delimiter: str = ",", line_ending: str = "\n") -> bytes:
    """The CSV of the records at `positions` with `fields` as columns, header first."""
    header = delimiter.join(_quoted(name) for name in fields)
    columns = [_texts(schema.field(name), frame[name].array.take(positions))
               for name in fields]
    lines = [header]
    lines.extend(delimiter.join(row) for row in zip(*columns, strict=True))
    return (line_ending.join(lines) + line_ending).encode("utf-8")
