"""Building SOQL from values safely: a value from settings can never change a query's meaning.

Names (objects, fields) are checked against Salesforce's API-name grammar and refused otherwise;
values become literals with SOQL's escapes (strings) or its unquoted forms (datetimes, numbers,
booleans, null). There is no path from a value to unescaped query text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_STRING_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", '"': '\\"'}

Literal = str | int | float | bool | datetime | date | None


class UnsafeSoql(ValueError):
    """A name or value that cannot be put into a SOQL query safely."""


def name(identifier: str) -> str:
    if not isinstance(identifier, str) or not _NAME.match(identifier):
        raise UnsafeSoql(f"{identifier!r} is not a Salesforce API name (letters, digits and underscores)")
    return identifier


def literal(value: Literal) -> str:
    """The SOQL literal for `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise UnsafeSoql(f"{value!r} has no SOQL literal")
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UnsafeSoql(f"naive datetime {value.isoformat()} refused: SOQL datetimes must be in UTC")
        moment = value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + "".join(_STRING_ESCAPES.get(ch, ch) for ch in value) + "'"
    raise UnsafeSoql(f"no SOQL literal for a {type(value).__name__}")


def in_list(values: Iterable[Literal]) -> str:
    items = [literal(v) for v in values]
    if not items:
        raise UnsafeSoql("IN () with no values is not valid SOQL")
    return "(" + ", ".join(items) + ")"


def select(fields: Sequence[str], sobject: str, where: str | None = None, order_by: Sequence[str] = (),
           limit: int | None = None) -> str:
    """A SELECT from checked names; `where` must itself be built from `name`/`literal`."""
    query = f"SELECT {', '.join(name(f) for f in fields)} FROM {name(sobject)}"
    if where:
        query += f" WHERE {where}"
    if order_by:
        query += " ORDER BY " + ", ".join(f"{name(f)} ASC" for f in order_by)
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    return query
