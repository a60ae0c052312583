"""Insightly behind the CRM port: searches by update time, Id sets for deletions, one write a call.

What is Insightly's alone stays here and in its client and translation: no delete log (a deleted
record is simply gone, so deletions are found by comparing Id sets, a brief page of 500 a call),
no field history, no batch writes and no upsert (an upsert looks its record up by the app's
external id, then updates or creates it), and no ordering by update time.

That last one shapes `read_changed`: Insightly answers a search in id order only, so its pages
come in no cursor order, and the extraction must not move the cursor past a page (a record still
to come may be older than all read so far). Each page says where the search stands (its skip and
last id, its `since`, when it began: `resume_from`), the extraction keeps that with the records
it stored, and only the last page moves the cursor; a read cut short (budget, daily allowance)
goes on from the next page in a later run, in memory bounded by a page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID, BY_NAME, CURSOR_FIELD, ExtractedObject
from crm_pipelines.crm.client_backed import ClientBacked
from crm_pipelines.crm.errors import CrmApiError, CrmTransientError, DeleteLogTooOld
from crm_pipelines.crm.insightly.client import MAX_TOP, InsightlyClient, PagePosition
from crm_pipelines.crm.insightly.objects import CONTACT_ROLE, LACKING, OBJECTS, InsightlyObject, Picklists
from crm_pipelines.crm.insightly.translate import Unwritable, contact_roles, to_insightly, to_pipeline
from crm_pipelines.crm.insightly.wire import search_time
from crm_pipelines.crm.port import (
    DeleteLog,
    FieldChange,
    FieldDescription,
    OrgUsage,
    RecordPage,
    WriteOperation,
    WriteResult,
)

# Insightly stamps updates to the second and `updated_after_utc` is strict: asking from a second
# before `since` finds every record changed at or after it.
_SEARCH_MARGIN = timedelta(seconds=1)


@dataclass(frozen=True)
class _SearchPoint:
    """Where a search an earlier run stopped stands: its listing's position, its `since` and when
    it began, in the CRM's clock."""

    position: PagePosition
    since: datetime | None
    started_at: datetime | None

    def to_text(self) -> str:
        return json.dumps({"skip": self.position[0], "last": self.position[1],
                           "since": self.since.isoformat() if self.since else None,
                           "started_at": self.started_at.isoformat() if self.started_at else None})

    @classmethod
    def from_text(cls, text: str) -> _SearchPoint:
        value = json.loads(text)
        moment = lambda key: datetime.fromisoformat(value[key]) if value.get(key) else None  # noqa: E731
        return cls((int(value["skip"]), value["last"]), moment("since"), moment("started_at"))


class InsightlyCrm(ClientBacked):
    """The CRM port for one tenant's Insightly instance, over one `InsightlyClient`."""

    has_delete_log = False
    max_write_batch = 1
    # Insightly's ids are whole numbers that do not say their object; a task links by name and id.
    links_task_by_type = True

    def write_calls(self, operation: WriteOperation, object_name: str, records: int) -> int:
        """An update is one call a record; an upsert two, the lookup by external id and the write;
        and the lists a Lead's or an Opportunity's values are named by, before they are first read."""
        view = OBJECTS.get(object_name)
        lists = self._lists_unread(view) if view is not None and view.writable else 0
        return lists + records * (2 if operation == "upsert" else 1)

    def __init__(self, client: InsightlyClient) -> None:
        self.client = client
        self.tenant_id = client.tenant_id
        self._picklists: Picklists | None = None
        self._custom_fields: dict[str, list[FieldDescription]] = {}

    @staticmethod
    def lacks(object_name: str) -> str | None:
        """Why Insightly has no counterpart of `object_name`, or None when it has one."""
        if object_name in LACKING:
            return LACKING[object_name]
        return None if object_name in OBJECTS else f"the adapter reads no {object_name} from Insightly"

    def read_org_usage(self) -> OrgUsage | None:
        # Every answer reports the allowance: the smallest answer there is will do.
        self.client.get("Users", params={"brief": "true", "top": "1"}, what="org usage (one user)")
        return self.client.last_usage

    def read_changed(self, obj: ExtractedObject, extra_fields: Sequence[str], since: datetime | None, *,
                     page_size: int | None = None, resume_from: str | None = None) -> Iterator[RecordPage]:
        if self.lacks(obj.name):
            return iter(())
        return self._changed(obj, OBJECTS[obj.name], list(extra_fields), since, page_size or MAX_TOP,
                             _SearchPoint.from_text(resume_from) if resume_from else None)

    def _changed(self, obj: ExtractedObject, view: InsightlyObject, extra_fields: list[str], since: datetime | None,
                 page_size: int, point: _SearchPoint | None) -> Iterator[RecordPage]:
        picklists = self._lists_for(view)
        if point is not None:
            since = point.since  # the search the earlier run began goes on as it began
        params = {} if since is None else {"updated_after_utc": search_time(since - _SEARCH_MARGIN)}
        # Brief answers leave out CUSTOMFIELDS and LINKS: asked for only when they are read.
        if not extra_fields and view.name != CONTACT_ROLE:
            params["brief"] = "true"
        floor = None if since is None else since.astimezone(UTC).replace(microsecond=0).isoformat()
        started_at = point.started_at if point else None
        pages = self.client.positioned_pages(f"{view.path}/Search", params, top=min(page_size, MAX_TOP),
                                             id_field=view.id_field, what=f"{view.path} changed",
                                             start=point.position if point else (0, None))
        for page, after in pages:
            # The read is a snapshot of about when its first answer came (the CRM's own clock).
            started_at = started_at or self.client.crm_time
            records: list[dict[str, Any]] = []
            for record in page:
                if view.name == CONTACT_ROLE:
                    records.extend(contact_roles(record))
                else:
                    records.append(to_pipeline(obj, view, record, extra_fields, picklists))
            if floor is not None:
                records = [r for r in records if r[CURSOR_FIELD] is not None and r[CURSOR_FIELD] >= floor]
            resume = _SearchPoint(after, since, started_at).to_text() if after is not None else None
            yield RecordPage(records=records, total_size=0, done=after is None, ordered=False,
                             resume_from=resume, read_started_at=started_at)

    def _lists_for(self, view: InsightlyObject) -> Picklists:
        """The lists a Lead's or an Opportunity's ids name, read once per adapter."""
        if self._picklists is None:
            self._picklists = Picklists()
        lists = self._picklists
        if view.name == "Lead" and not lists.lead_statuses:
            lists.lead_statuses = self._list("LeadStatuses", "LEAD_STATUS_ID", "LEAD_STATUS")
            lists.lead_sources = self._list("LeadSources", "LEAD_SOURCE_ID", "LEAD_SOURCE")
        if view.name == "Opportunity" and not lists.stages:
            lists.stages = self._list("PipelineStages", "STAGE_ID", "STAGE_NAME")
        return lists

    def _lists_unread(self, view: InsightlyObject) -> int:
        """Calls `_lists_for(view)` would still make (one page a list: Insightly's lists are short)."""
        lists = self._picklists or Picklists()
        if view.name == "Lead":
            return 2 if not lists.lead_statuses else 0
        if view.name == "Opportunity":
            return 0 if lists.stages else 1
        return 0

    def _list(self, path: str, id_field: str, name_field: str) -> dict[int, str]:
        return {int(item[id_field]): str(item[name_field])
                for page in self.client.pages(path, what=path) for item in page}

    def read_deleted(self, object_name: str, start: datetime, end: datetime) -> DeleteLog:
        raise DeleteLogTooOld(self.tenant_id, f"{object_name}: Insightly keeps no delete log; compare Id sets")

    def list_ids(self, object_name: str, *, include_deleted: bool) -> Iterator[list[str]]:
        # include_deleted changes nothing: Insightly serves no deleted record.
        if self.lacks(object_name):
            return iter(())
        view = OBJECTS[object_name]
        if view.name == CONTACT_ROLE:
            return ([role["Id"] for record in page for role in contact_roles(record)]
                    for page in self.client.pages(view.path, id_field=view.id_field,
                                                  what=f"{view.path} with their contacts"))
        return ([str(record[view.id_field]) for record in page]
                for page in self.client.pages(view.path, {"brief": "true"}, id_field=view.id_field,
                                              what=f"{view.path} ids"))

    def field_history_of(self, object_name: str) -> str | None:
        return None

    def read_field_history(self, object_name: str, history: str, fields: Sequence[str],
                           since: datetime | None) -> Iterator[list[FieldChange]]:
        # Never asked for: `field_history_of` names no history.
        return iter(())

    def describe_fields(self, object_name: str) -> list[FieldDescription]:
        if self.lacks(object_name):
            return []
        view = OBJECTS[object_name]
        standard = [FieldDescription(name=name, label=name, custom=False)
                    for name in dict.fromkeys(view.served_fields()) if name in _catalogue_names(object_name)]
        return standard + self._custom_fields_of(view)

    def _custom_fields_of(self, view: InsightlyObject) -> list[FieldDescription]:
        if not view.has_custom_fields:
            return []
        if view.path not in self._custom_fields:
            self._custom_fields[view.path] = [
                FieldDescription(name=str(d["FIELD_NAME"]), label=str(d.get("FIELD_LABEL") or d["FIELD_NAME"]),
                                 custom=True)
                for page in self.client.pages(f"CustomFields/{view.path}", what=f"{view.path} custom fields")
                for d in page
            ]
        return self._custom_fields[view.path]

    def write_batch(self, operation: WriteOperation, object_name: str,
                    records: list[dict[str, Any]]) -> list[WriteResult]:
        """One call per record (an upsert: its lookup, then the write); a record Insightly cannot
        take, or refuses, fails alone."""
        if not records:
            raise ValueError("a write holds at least one record")
        return [self._write_one(operation, object_name, record) for record in records]

    def _write_one(self, operation: WriteOperation, object_name: str, record: dict[str, Any]) -> WriteResult:
        view = OBJECTS.get(object_name)
        if view is None or not view.writable:
            why = LACKING.get(object_name) or f"Insightly takes no {object_name} from the pipeline"
            return _failed(None, "NOT_SUPPORTED", why)
        try:
            body = to_insightly(view, record, self._lists_for(view))
        except Unwritable as refused:
            return _failed(None, "INVALID_FIELD", str(refused))
        try:
            if operation == "update":
                number = int(record.get("id") or record["Id"])
                answer = self.client.request("PUT", view.path, json_body={view.id_field: number, **body},
                                             what=f"update {view.path} {number}")
                return WriteResult(id=str(answer[view.id_field]), success=True, errors=[], created=False)
            return self._upsert(view, record.get(APP_EXTERNAL_ID), body)
        except CrmApiError as refused:
            if refused.status >= 500 or refused.status in (401, 429):
                raise
            return _failed(None, refused.error_code, refused.crm_message)

    def _upsert(self, view: InsightlyObject, external_id: Any, body: dict[str, Any]) -> WriteResult:
        """Update the record holding `external_id`, or create it. A create is sent once per
        attempt, never retried blindly: one whose answer was lost may have taken effect, so the
        next attempt looks it up again first (a repeated create would duplicate the record)."""
        attempts = self.client.policy.max_attempts
        for attempt in range(attempts):
            existing = self._by_external_id(view, external_id)
            if existing is not None:
                answer = self.client.request("PUT", view.path, json_body={view.id_field: existing, **body},
                                             what=f"upsert {view.path} {existing}")
                return WriteResult(id=str(answer[view.id_field]), success=True, errors=[], created=attempt > 0)
            try:
                answer = self.client.request("POST", view.path, json_body=body, what=f"create one of {view.path}",
                                             retried=False)
            except CrmTransientError as unheard:
                if attempt + 1 == attempts:
                    raise
                self.client.pause(attempt, unheard.retry_after)
                continue
            return WriteResult(id=str(answer[view.id_field]), success=True, errors=[], created=True)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _by_external_id(self, view: InsightlyObject, external_id: Any) -> int | None:
        """The record the app created before under `external_id` (Insightly has no upsert)."""
        if not external_id:
            return None
        found = self.client.get(f"{view.path}/Search", params={
            "field_name": APP_EXTERNAL_ID, "field_value": str(external_id), "brief": "true", "top": "1"},
            what=f"{view.path} by {APP_EXTERNAL_ID}")
        return int(found[0][view.id_field]) if found else None


def _catalogue_names(object_name: str) -> set[str]:
    return set(BY_NAME[object_name].field_names()) if object_name in BY_NAME else set()


def _failed(record_id: str | None, code: str, message: str) -> WriteResult:
    return WriteResult(id=record_id, success=False, errors=[{"statusCode": code, "message": message}])
