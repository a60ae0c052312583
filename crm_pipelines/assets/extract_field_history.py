"""The CRM's per-field change times (F3), read from the org's field history after an object's
records: `SELECT ... FROM LeadHistory WHERE Field IN (the two-way mapped fields)`, incrementally by
CreatedDate (minus the lookback, as records are by SystemModstamp), each page committed with its
cursor. Read only for an org whose describe of the object lists its history (the org tracks some
of its fields); others keep deciding conflicts on the record's SystemModstamp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from crm_pipelines.core.crm_objects import CrmObject
from crm_pipelines.core.extraction import Cursor, later
from crm_pipelines.crm import soql
from crm_pipelines.crm.client import SalesforceClient
from crm_pipelines.settings import Tenant
from crm_pipelines.store.crm_field_changes import commit_field_changes
from crm_pipelines.store.crm_records import read_cursor
from crm_pipelines.store.database import Database

HISTORY_RELATIONSHIP = "Histories"


@dataclass
class HistorySync:
    history_object: str | None = None
    rows_read: int = 0
    fields_written: int = 0
    pages: int = 0


def history_object_of(describe: dict[str, Any], obj: CrmObject) -> str | None:
    """The object's field history as its describe lists it (a child `<Object>History`), or None."""
    for child in describe.get("childRelationships") or ():
        if child.get("childSObject") == f"{obj.name}History" and child.get("field") == f"{obj.name}Id":
            return str(child["childSObject"])
    return None


def two_way_fields(obj: CrmObject, tenant: Tenant) -> list[str]:
    return sorted({m.crm_field for m in tenant.settings.field_mappings
                   if m.crm_object == obj.name and m.direction == "two_way"})


def sync_field_history(client: SalesforceClient, db: Database, obj: CrmObject, tenant: Tenant, *,
                       now: Callable[[], datetime], into: HistorySync) -> None:
    """Read the history of `obj`'s two-way fields since the cursor into the warehouse. Raises
    NotNow like any CRM call; pages read before it stay committed with their cursor."""
    fields = two_way_fields(obj, tenant)
    if into.history_object is None or not fields:
        return
    parent = f"{obj.name}Id"
    cursor = read_cursor(db, tenant.id, into.history_object).cursor
    where = f"Field IN {soql.in_list(fields)}"
    if cursor is not None:
        start = cursor.modstamp - timedelta(seconds=tenant.settings.sync.lookback_seconds)
        where += f" AND CreatedDate >= {soql.literal(start)}"
    query = soql.select(["Id", parent, "Field", "CreatedDate"], into.history_object, where,
                        order_by=["CreatedDate", "Id"])
    for page in client.query_pages(query):
        into.pages += 1
        into.rows_read += len(page.records)
        if not page.records:
            continue
        rows = pd.DataFrame({"record_id": [r[parent] for r in page.records], "field": [r["Field"] for r in page.records],
                             "changed_at": pd.to_datetime([r["CreatedDate"] for r in page.records], utc=True)})
        last = page.records[-1]
        cursor = later(cursor, Cursor(pd.Timestamp(last["CreatedDate"]).tz_convert("UTC").to_pydatetime(), last["Id"]))
        into.fields_written += commit_field_changes(db, tenant.id, obj.name, into.history_object, rows, cursor,
                                                    extracted_at=now())
