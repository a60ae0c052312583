"""Shared steps of the Bulk API tests: the REST query's records as the CSV rows they should equal."""

from __future__ import annotations

import csv
import io

from tests.sim.conftest import SalesforceApi


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def as_csv_value(value: object) -> str:
    """A REST JSON value in Bulk CSV form (enough for the field types the tests select)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.endswith("+0000"):
        return value[:-5] + "Z"
    return str(value)


def rest_rows(api: SalesforceApi, soql: str, *, all_rows: bool = False) -> list[dict[str, str]]:
    records = api.query(soql, all_rows=all_rows)
    return [{k: as_csv_value(v) for k, v in r.items() if k != "attributes"} for r in records]
