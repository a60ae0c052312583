"""The CRM port: what extraction and pushes ask of a tenant's CRM, whichever CRM it is.

The exchanges with the CRM (`exchange/extraction.py`, `deletions.py`, `field_history.py`,
`push_delivery.py`, `org_usage.py`) depend on `CrmPort` alone; `crm/resource.py` picks the adapter for
the tenant's `connection.kind`. Salesforce's adapter is `crm/salesforce/adapter.py`. A second CRM is one
more adapter (its own client, wire format and paging under `crm/<kind>/`) and one more `kind`: nothing
in core/, exchange/, assets/ or automation/ changes.

Shapes crossing the port are the pipeline's own, which name objects and fields as the warehouse
does (`ExtractedObject` in core/crm_objects.py: Salesforce's API names, `Id`, `SystemModstamp`, `IsDeleted`).
An adapter for a CRM with other names (Insightly's `CONTACT_ID`, `DATE_UPDATED_UTC`, `CUSTOMFIELDS`)
translates in both directions, so the core never sees a dialect.

Limits are signalled by exceptions from crm/errors.py, raised by any method that calls the CRM:
- `BudgetExhausted`: before every HTTP request (logins and retries included) the adapter calls the
  `reserve_call` it was given; it raises this when the tenant's own daily budget is spent.
- `OrgNearLimit`: the org's usage (`org_usage`) leaves no call above the tenant's reserve for the
  org's other integrations; checked by the adapter before each call.
- `OrgLimitExceeded`, `RetryAfterTooLong`: the CRM itself said "not now" (Salesforce's
  REQUEST_LIMIT_EXCEEDED; a 429 whose Retry-After is longer than a run should wait; Insightly's
  daily allowance answered with 429).
  All four are `NotNow`: the caller keeps what it has and defers the rest to `resume_at`.
- `CrmAuthError` (credentials refused), `CrmApiError` (a request refused, with the CRM's code),
  `CrmTransientError` (still failing after the adapter's own retries).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, TypedDict

from crm_pipelines.core.crm_objects import ExtractedObject

WriteOperation = Literal["upsert", "update"]


@dataclass(frozen=True)
class OrgUsage:
    """The org's own daily API usage, as the CRM reports it (Salesforce: Sforce-Limit-Info and
    /limits; Insightly: X-RateLimit-Limit and X-RateLimit-Remaining)."""

    used: int
    max: int


@dataclass(frozen=True)
class RecordPage:
    """One page of records, keyed by the pipeline's field names; `total_size` as the CRM counts
    the whole read (0 when it does not say).

    Most reads come in cursor order (`ordered`): the cursor may advance past each page. A bulk read
    (Salesforce's Bulk API 2.0) comes in no order: its pages carry `resume_from`, where the read
    stands after the page (None on its last), and `read_started_at`, the moment the CRM took its
    snapshot. The cursor may then advance only after the last page, to the latest record of the
    whole read; until then the caller keeps `resume_from` with the records it stored and passes
    it back to `read_changed` to go on from the next page."""

    records: list[dict[str, Any]]
    total_size: int
    done: bool
    ordered: bool = True
    resume_from: str | None = None
    read_started_at: datetime | None = None


@dataclass(frozen=True)
class FieldChange:
    """One change of one field of one record in the CRM's field history (F3): `changed_at` in UTC;
    `change_id` orders changes made at the same instant."""

    record_id: str
    field: str
    changed_at: datetime
    change_id: str


@dataclass(frozen=True)
class DeleteLog:
    """The CRM's record of deletions in a window: `deleted` as {"id", "deletedDate"} (ISO 8601);
    `earliest_available`: how far back the log still reaches (None: as far as asked);
    `latest_covered`: up to when it is complete (None: the window's end)."""

    deleted: list[dict[str, Any]] = field(default_factory=list)
    earliest_available: datetime | None = None
    latest_covered: datetime | None = None


class FieldDescription(TypedDict):
    """One field the CRM has on an object: its name as the CRM spells it, its label, and whether
    the org added it (custom fields are the ones a tenant maps)."""

    name: str
    label: str
    custom: bool


class WriteError(TypedDict):
    statusCode: str
    message: str


class WriteResult(TypedDict, total=False):
    """The CRM's answer for one record of a write: its id, whether it was taken, and if not why.
    Error codes worth retrying are listed in core/outbound/delivery.py (TRANSIENT_RECORD_ERRORS)."""

    id: str | None
    success: bool
    errors: list[WriteError]
    created: bool


class CrmPort(Protocol):
    """One tenant's CRM, for one run. Every method that calls the CRM counts each HTTP request in
    `calls_sent` and may raise the errors listed in this module's docstring."""

    tenant_id: str

    @property
    def calls_sent(self) -> int:
        """HTTP requests sent so far, logins and retries included: what the budget was charged."""
        ...

    @property
    def crm_time(self) -> datetime | None:
        """The CRM's clock as its last answer gave it (the HTTP Date header): deletion windows and
        cursors are in the CRM's time, not ours. None before the first answer."""
        ...

    @property
    def org_usage(self) -> OrgUsage | None:
        """The org's daily usage as last seen: every answer's limit headers keep it current."""
        ...

    @property
    def has_delete_log(self) -> bool:
        """Whether `read_deleted` is available. Salesforce: yes (/deleted/, 30 days). A CRM without
        one (Insightly) answers False, and deletions are found by comparing `list_ids` with ours."""
        ...

    @property
    def max_write_batch(self) -> int:
        """Most records one `write_batch` takes (Salesforce: 1,000, five sObject Collections of 200
        in one Composite call; a CRM writing one record per call: 1); what the write costs in calls is `write_calls`."""
        ...

    def write_calls(self, operation: WriteOperation, object_name: str, records: int) -> int:
        """HTTP calls one `write_batch` of `records` records of `object_name` costs when nothing is
        retried: what the push checks against the budget before it starts the write, so that a
        write is never cut off half done (Salesforce: one call a batch; Insightly: an upsert two a
        record, its lookup by external id and its write, an update one, and the first write of a
        Lead its reads of the lead statuses and sources)."""
        ...

    @property
    def links_task_by_type(self) -> bool:
        """Whether a Task's WhoId must come with WhoType (Lead or Contact): a CRM whose ids do not
        say their object (Insightly links a task by object name and id). Salesforce: False."""
        ...

    def lacks(self, object_name: str) -> str | None:
        """Why the CRM has no counterpart of the pipeline's `object_name` (Insightly: no Campaign,
        no AccountTeamMember), or None when it has one. Asks nothing of the CRM; the extraction
        skips an object the CRM lacks and says why."""
        ...

    def assume_org_usage(self, usage: OrgUsage) -> None:
        """Take the org's usage as this run already read it, instead of reading it again."""
        ...

    def read_org_usage(self) -> OrgUsage | None:
        """Ask the CRM for the org's daily usage (one call). Salesforce: /limits. A CRM that reports
        it on every answer may read it from the cheapest call there is."""
        ...

    def read_changed(self, obj: ExtractedObject, extra_fields: Sequence[str], since: datetime | None, *,
                     page_size: int | None = None, resume_from: str | None = None) -> Iterator[RecordPage]:
        """Every record of `obj` changed at or after `since` (None: all of them), with the
        catalogue's fields and `extra_fields` (mapped custom fields confirmed by `describe_fields`),
        page by page, in cursor order (the cursor field then Id) unless the pages say otherwise;
        the next page is only asked for when the caller takes it. Where the CRM keeps deleted records (`obj.soft_deletes`), they are
        included with IsDeleted true. Salesforce: SOQL through queryAll, SystemModstamp >= since.
        Insightly: `/{Object}/Search?updated_after_utc=` with skip/top paging, in id order.
        A read may come unordered (see `RecordPage`: Salesforce's Bulk reads, every Insightly read);
        `resume_from` continues one such read where an earlier run stopped; if the CRM no longer
        has it, the read starts over from `since`."""
        ...

    def read_deleted(self, object_name: str, start: datetime, end: datetime) -> DeleteLog:
        """The delete log of `object_name` between `start` and `end` (the CRM's time). Raises
        `DeleteLogTooOld` when the CRM no longer holds that window; the caller then compares Id sets.
        Only called when `has_delete_log`."""
        ...

    def list_ids(self, object_name: str, *, include_deleted: bool) -> Iterator[list[str]]:
        """Every Id of `object_name`, a page per call, as cheaply as the CRM allows (Salesforce:
        SELECT Id, 2,000 a page; Insightly: brief=true, 500 a page)."""
        ...

    def field_history_of(self, object_name: str) -> str | None:
        """Where the CRM keeps, for this org, the per-field change history of `object_name`
        (Salesforce: `<Object>History`, listed by the object's describe while the org tracks some
        of its fields), or None: F3 then decides a conflict on the record's own change time.
        Insightly keeps no field history its API serves: always None."""
        ...

    def read_field_history(self, object_name: str, history: str, fields: Sequence[str],
                           since: datetime | None) -> Iterator[list[FieldChange]]:
        """The changes of `fields` recorded in `history` at or after `since` (None: all kept),
        oldest first (then by change id), page by page. Only called when `field_history_of`
        named `history`."""
        ...

    def describe_fields(self, object_name: str) -> list[FieldDescription]:
        """The fields the org has on `object_name` (Salesforce: describe; Insightly: its custom
        field definitions plus the standard fields)."""
        ...

    def write_batch(self, operation: WriteOperation, object_name: str,
                    records: list[dict[str, Any]]) -> list[WriteResult]:
        """Write 1 to `max_write_batch` records; one result per record, in order. An `upsert`
        goes by the app's external id (so a repeated call updates what the first created), an
        `update` by record Id. One record's refusal never holds back the others."""
        ...
