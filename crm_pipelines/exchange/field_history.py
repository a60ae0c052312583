"""The CRM's per-field change times (F3), read from the org's field history after an object's
records, through the CRM port (Salesforce: `SELECT ... FROM LeadHistory WHERE Field IN (the two-way
mapped fields)`), incrementally by change time (minus the lookback, as records are by SystemModstamp), each page committed with its
cursor. Read only for an org whose describe of the object lists its history (the org tracks some
of its fields); others keep deciding conflicts on the record's SystemModstamp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from crm_pipelines.core.crm_objects import ExtractedObject
from crm_pipelines.core.extraction import Cursor, later
from crm_pipelines.core.object_sync import read_since, two_way_fields
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.settings import Tenant
from crm_pipelines.store.crm_field_changes import commit_field_changes
from crm_pipelines.store.crm_records import read_cursor
from crm_pipelines.store.database import Database


@dataclass
class HistorySync:
    history_object: str | None = None
    rows_read: int = 0
    fields_written: int = 0
    pages: int = 0


def sync_field_history(crm: CrmPort, db: Database, obj: ExtractedObject, tenant: Tenant, *,
                       now: Callable[[], datetime], into: HistorySync) -> None:
    """Read the history of `obj`'s two-way fields since the cursor into the warehouse. Raises
    NotNow like any CRM call; pages read before it stay committed with their cursor."""
    fields = two_way_fields(tenant.settings.field_mappings, obj.name)
    if into.history_object is None or not fields:
        return
    cursor = read_cursor(db, tenant.id, into.history_object).cursor
    since = read_since(cursor, timedelta(seconds=tenant.settings.sync.lookback_seconds))
    for changes in crm.read_field_history(obj.name, into.history_object, fields, since):
        into.pages += 1
        into.rows_read += len(changes)
        if not changes:
            continue
        rows = pd.DataFrame({"record_id": [c.record_id for c in changes], "field": [c.field for c in changes],
                             "changed_at": pd.to_datetime([c.changed_at for c in changes], utc=True)})
        cursor = later(cursor, Cursor(changes[-1].changed_at, changes[-1].change_id))
        into.fields_written += commit_field_changes(db, tenant.id, obj.name, into.history_object, rows, cursor,
                                                    extracted_at=now())
