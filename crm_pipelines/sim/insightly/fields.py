"""How one Insightly field reads and writes one field of the org's table.

`encode` turns a stored value into the value Insightly's JSON carries; `decode` turns a value a
client sent into the JSON value the org's own writes (`record_writes.read_fields`) accept, so
coercion and validation stay the org's. Dates are `YYYY-MM-DD HH:MM:SS` in UTC both ways, as
Insightly's API writes them; a date-only field reads as midnight of its day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from crm_pipelines.sim.insightly.integer_ids import integer_id, record_id
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.wire import ApiError

Kind = Literal["text", "bool", "number", "int", "datetime", "date", "ref", "choice", "mapped"]
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def insightly_datetime(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_convert("UTC") if ts.tzinfo is not None else ts
    return ts.strftime(DATETIME_FORMAT)


def parse_insightly_datetime(text: Any, name: str) -> pd.Timestamp:
    """A client's time: `YYYY-MM-DD HH:MM:SS` or ISO 8601 (`...T...Z`), taken as UTC."""
    try:
        ts = pd.Timestamp(str(text))
    except ValueError:
        raise bad_request(f"{name}: {text!r} is not a date and time") from None
    if pd.isna(ts):
        raise bad_request(f"{name}: {text!r} is not a date and time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


@dataclass(frozen=True)
class Field:
    name: str                  # Insightly's, UPPER_SNAKE
    source: str | None         # the org table's field; None for a constant
    kind: Kind = "text"
    writable: bool = True
    target: str = ""           # "ref": the object an id points at
    choices: tuple[str, ...] = ()          # "choice": id n is choices[n - 1]
    mapping: Mapping[Any, Any] = field(default_factory=dict)  # "mapped": stored -> Insightly
    default: Any = None        # "mapped": Insightly's value for anything unmapped; or the constant

    def encode(self, value: Any) -> Any:
        if self.source is None:
            return self.default
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return False if self.kind == "bool" else None
        if self.kind == "bool":
            return bool(value)
        if self.kind == "number":
            return float(value)
        if self.kind == "int":
            return int(value)
        if self.kind == "datetime":
            return insightly_datetime(value)
        if self.kind == "date":
            return insightly_datetime(pd.Timestamp(value).normalize())
        if self.kind == "ref":
            return integer_id(str(value))
        if self.kind == "choice":
            return self.choices.index(value) + 1 if value in self.choices else None
        if self.kind == "mapped":
            return self.mapping.get(value, self.default)
        return value

    def decode(self, value: Any, org: str) -> Any:
        """What the org's write path takes for `value` sent by a client."""
        if value is None:
            return None
        if self.kind in ("datetime", "date"):
            ts = parse_insightly_datetime(value, self.name)
            return ts.strftime("%Y-%m-%d") if self.kind == "date" else ts.isoformat()
        if self.kind == "ref":
            try:
                return record_id(sobject(self.target).key_prefix, org, self._number(value))
            except ValueError:
                raise bad_request(f"{self.name}: {value} is no {self.target} id") from None
        if self.kind == "choice":
            number = self._number(value)
            if not 1 <= number <= len(self.choices):
                raise bad_request(f"{self.name}: no such id {value}")
            return self.choices[number - 1]
        if self.kind == "mapped":
            reverse = {v: k for k, v in self.mapping.items()}
            key = value.upper() if isinstance(value, str) else value
            if key not in reverse:
                raise bad_request(f"{self.name}: {value!r} is not one of {sorted(map(str, reverse))}")
            return reverse[key]
        return value

    def _number(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request(f"{self.name}: {value!r} is not an id")
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"{self.name}: {value!r} is not an id") from None
