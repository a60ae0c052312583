"""Salesforce behind the CRM port: SOQL for reads, the delete log, describe, sObject Collections.

Salesforce's records already carry the pipeline's field names (the warehouse was modelled on
them), so records pass through unchanged; what is Salesforce's alone stays here: SOQL, queryAll,
/deleted/ and its INVALID_REPLICATION_DATE, describe's body, writes of 1,000 records a call (five sObject Collections in one Composite).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from crm_pipelines.core.crm_objects import CURSOR_FIELD, ExtractedObject
from crm_pipelines.crm.client_backed import ClientBacked
from crm_pipelines.crm.errors import CrmApiError, DeleteLogTooOld
from crm_pipelines.crm.port import DeleteLog, FieldChange, FieldDescription, OrgUsage, RecordPage, WriteOperation, WriteResult
from crm_pipelines.crm.salesforce import soql
from crm_pipelines.crm.salesforce.bulk_query import MAX_RECORDS, SLICE_RECORDS, BulkReadPoint, field_kinds, read_job, start_job
from crm_pipelines.crm.salesforce.client import SalesforceClient
from crm_pipelines.crm.salesforce.rest_to_bulk import AlreadyRead
from crm_pipelines.crm.salesforce.wire import parse_datetime
from crm_pipelines.crm.salesforce.collections import MAX_COMPOSITE_RECORDS, send_collections

# The delete log's own refusal of a window older than it keeps (30 days, or purged early).
_LOG_TOO_OLD = "INVALID_REPLICATION_DATE"


class SalesforceCrm(ClientBacked):
    """The CRM port for one tenant's Salesforce org, over one `SalesforceClient`."""

    has_delete_log = True
    # Five collections of 200 in one Composite call, which Salesforce counts as one API call.
    max_write_batch = MAX_COMPOSITE_RECORDS

    def __init__(self, client: SalesforceClient, *, bulk_above_records: int | None = None,
                 bulk_page_records: int = MAX_RECORDS, bulk_slice_records: int = SLICE_RECORDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.tenant_id = client.tenant_id
        self.bulk_above_records = bulk_above_records
        self.bulk_page_records = bulk_page_records
        self.bulk_slice_records = bulk_slice_records
        self._sleep = sleep
        # One describe per object per adapter: its fields and its history come from the same call.
        self._describes: dict[str, dict[str, Any]] = {}

    def _describe(self, object_name: str) -> dict[str, Any]:
        if object_name not in self._describes:
            self._describes[object_name] = self.client.describe(object_name)
        return self._describes[object_name]

    @staticmethod
    def lacks(object_name: str) -> str | None:
        # The pipeline's objects are Salesforce's own.
        return None

    def read_org_usage(self) -> OrgUsage | None:
        return self.client.read_org_usage()

    def read_changed(self, obj: ExtractedObject, extra_fields: Sequence[str], since: datetime | None, *,
                     page_size: int | None = None, resume_from: str | None = None) -> Iterator[RecordPage]:
        fields = [*obj.field_names(), *extra_fields]
        if resume_from is not None:
            try:
                yield from self._bulk_pages(obj, extra_fields, BulkReadPoint.from_text(resume_from))
                return
            except CrmApiError as refused:
                if refused.status != 404:
                    raise
                # The CRM no longer holds the job (kept seven days): read again from the cursor.
        where = None if since is None else f"{CURSOR_FIELD} >= {soql.literal(since)}"
        # queryAll: deleted and merged records arrive flagged IsDeleted instead of vanishing (E3, E5).
        query = soql.select(fields, obj.name, where, order_by=[CURSOR_FIELD, "Id"])
        pages = self.client.query_pages(query, include_deleted=obj.soft_deletes, batch_size=page_size)
        first = next(pages)
        yield first
        if first.done or not self._bulk_wanted(first.total_size):
            yield from pages
            return
        # A large read: its first REST page told its size and holds its oldest records; a Bulk job
        # reads the rest (from that page's last stamp on) in a few calls instead of one per page.
        already = AlreadyRead.at_end_of(first.records)
        # Neither this frame nor the REST pages' generator may hold that page (2,000 records as
        # parsed JSON) through the job's pages: its caller has stored it already.
        pages.close()
        del first
        yield from self._bulk_read(obj, extra_fields, fields, already)

    def _bulk_wanted(self, records: int) -> bool:
        return self.bulk_above_records is not None and records > self.bulk_above_records

    def _bulk_read(self, obj: ExtractedObject, extra_fields: Sequence[str], fields: list[str],
                   already: AlreadyRead) -> Iterator[RecordPage]:
        # From the REST page's last stamp on. No ORDER BY: Bulk API 2.0 does not run it; the caller
        # holds the cursor until the last page.
        where = f"{CURSOR_FIELD} >= {soql.literal(already.stamp)}"
        point = start_job(self.client, soql.select(fields, obj.name, where), include_deleted=obj.soft_deletes)
        return self._bulk_pages(obj, extra_fields, point, already)

    def _bulk_pages(self, obj: ExtractedObject, extra_fields: Sequence[str], point: BulkReadPoint,
                    already: AlreadyRead | None = None) -> Iterator[RecordPage]:
        described = self._describe(obj.name).get("fields", []) if extra_fields else []
        kinds = field_kinds({f.name: f.kind for f in obj.fields}, described, extra_fields)
        for page in read_job(self.client, point, kinds, sleep=self._sleep, max_records=self.bulk_page_records,
                             slice_records=self.bulk_slice_records):
            records = page.records if already is None else already.dropped_from(page.records)
            yield RecordPage(records=records, total_size=0, done=page.next_point is None, ordered=False,
                             resume_from=page.next_point.to_text() if page.next_point else None,
                             read_started_at=point.started_at)

    def read_deleted(self, object_name: str, start: datetime, end: datetime) -> DeleteLog:
        try:
            body = self.client.deleted(object_name, start, end)
        except CrmApiError as refused:
            if refused.error_code == _LOG_TOO_OLD:
                raise DeleteLogTooOld(self.tenant_id, f"{object_name}: {refused.crm_message}") from None
            raise
        return DeleteLog(
            deleted=list(body.get("deletedRecords", [])),
            earliest_available=parse_datetime(body.get("earliestDateAvailable")),
            latest_covered=parse_datetime(body.get("latestDateCovered")),
        )

    def list_ids(self, object_name: str, *, include_deleted: bool) -> Iterator[list[str]]:
        return self.client.ids(object_name, include_deleted=include_deleted)

    def field_history_of(self, object_name: str) -> str | None:
        for child in self._describe(object_name).get("childRelationships") or ():
            if child.get("childSObject") == f"{object_name}History" and child.get("field") == f"{object_name}Id":
                return str(child["childSObject"])
        return None

    def read_field_history(self, object_name: str, history: str, fields: Sequence[str],
                           since: datetime | None) -> Iterator[list[FieldChange]]:
        parent = f"{object_name}Id"
        where = f"Field IN {soql.in_list(fields)}"
        if since is not None:
            where += f" AND CreatedDate >= {soql.literal(since)}"
        query = soql.select(["Id", parent, "Field", "CreatedDate"], history, where, order_by=["CreatedDate", "Id"])
        for page in self.client.query_pages(query):
            yield [FieldChange(record_id=r[parent], field=r["Field"], change_id=r["Id"],
                               changed_at=pd.Timestamp(r["CreatedDate"]).tz_convert("UTC").to_pydatetime())
                   for r in page.records]

    def describe_fields(self, object_name: str) -> list[FieldDescription]:
        return [
            FieldDescription(name=str(f["name"]), label=str(f.get("label", f["name"])), custom=bool(f.get("custom")))
            for f in self._describe(object_name).get("fields", [])
        ]

    def write_batch(self, operation: WriteOperation, object_name: str,
                    records: list[dict[str, Any]]) -> list[WriteResult]:
        return send_collections(self.client, operation, object_name, records)  # type: ignore[return-value]

