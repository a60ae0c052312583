"""A Bulk API query run through the simulator's SOQL engine, so its rows are the REST query's rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.query import select_rows
from crm_pipelines.sim.soql import Query, parse


@dataclass(frozen=True)
class BulkSelection:
    query: Query
    positions: np.ndarray


def unsupported_by_bulk(query: Query) -> str | None:
    """Why the Bulk APIs refuse a query that REST would run, or None."""
    if query.count_only:
        return "Aggregate queries are not supported by the Bulk API: COUNT()"
    if query.offset is not None:
        return "OFFSET clauses are not supported by the Bulk API"
    return None


def parse_bulk_query(text: str) -> Query:
    """The parsed query; SoqlError as REST would raise it."""
    return parse(text)


def select(org: OrgState, query: Query, *, include_deleted: bool) -> BulkSelection:
    table = org.tables[query.sobject]
    positions = select_rows(query, table.frame(), include_deleted=include_deleted,
                            present=table.present())
    return BulkSelection(query, positions)


def result_csv_fields(query: Query, api_version: float) -> tuple[str, ...]:
    """Columns in the order the SELECT names them; before API 50.0 Bulk 2.0 sorted them by name."""
    if api_version < 50:
        return tuple(sorted(query.fields, key=str.lower))
    return query.fields
