"""Records both ways: Insightly's UPPER_SNAKE fields and CUSTOMFIELDS ↔ the pipeline's field names.

Reading, ids become text (the warehouse keeps every CRM's ids as text), Insightly's UTC times
(`2026-04-09 16:58:14`) ISO 8601 and its dates (midnight of the day) plain dates; what Insightly
keeps as ids of its own lists is named through them. Deleted records are gone from Insightly, so
whatever is read is live (`IsDeleted` false). Writing, the reverse, and a field Insightly does not
take refuses the record before any call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from crm_pipelines.core.crm_objects import ExtractedObject, FieldKind
from crm_pipelines.crm.insightly.objects import (
    TASK_PRIORITIES,
    TASK_STATUSES,
    InsightlyObject,
    Picklists,
    full_name,
    stage_name,
)
from crm_pipelines.crm.insightly.wire import iso_date, iso_time

CUSTOM_SUFFIX = "__c"


class Unwritable(ValueError):
    """A record Insightly cannot take as it is: why, in the words the push's ledger keeps."""


def _converted(value: Any, kind: FieldKind) -> Any:
    if value is None:
        return None
    if kind == "id":
        return str(value)
    if kind == "datetime":
        return iso_time(value)
    if kind == "date":
        return iso_date(value)
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    return value


def to_pipeline(obj: ExtractedObject, view: InsightlyObject, record: dict[str, Any], extra_fields: Sequence[str],
                picklists: Picklists) -> dict[str, Any]:
    """One Insightly record in the pipeline's field names: the catalogue's and `extra_fields`
    (custom fields, from CUSTOMFIELDS); the catalogue's fields Insightly lacks are left empty."""
    kinds = {f.name: f.kind for f in obj.fields}
    out: dict[str, Any] = {"Id": _converted(record.get(view.id_field), "id")}
    for name, source in view.fields.items():
        out[name] = _converted(record.get(source), kinds.get(name, "string"))
    if "Name" in view.derived:
        out["Name"] = full_name(record.get("FIRST_NAME"), record.get("LAST_NAME"))
    if obj.soft_deletes:
        out["IsDeleted"] = False
    if view.name == "Lead":
        out["Status"] = picklists.lead_statuses.get(record.get("LEAD_STATUS_ID"))  # type: ignore[arg-type]
        out["LeadSource"] = picklists.lead_sources.get(record.get("LEAD_SOURCE_ID"))  # type: ignore[arg-type]
    if view.name == "Opportunity":
        state = str(record.get("OPPORTUNITY_STATE") or "OPEN").upper()
        out["StageName"] = stage_name(state, record.get("STAGE_ID"), picklists)
        out["IsClosed"] = state != "OPEN"
        out["IsWon"] = state == "WON"
    if extra_fields:
        custom = {str(item.get("FIELD_NAME", "")).lower(): item.get("FIELD_VALUE")
                  for item in record.get("CUSTOMFIELDS") or () if isinstance(item, dict)}
        for name in extra_fields:
            out[name] = custom.get(name.lower())
    return out


def contact_roles(opportunity: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An opportunity's links to its contacts as the pipeline's OpportunityContactRole records:
    each link's id is the role's, and the opportunity's times are the link's (Insightly dates no
    link of its own)."""
    opportunity_id = _converted(opportunity.get("OPPORTUNITY_ID"), "id")
    updated = iso_time(opportunity.get("DATE_UPDATED_UTC"))
    for link in opportunity.get("LINKS") or ():
        if link.get("LINK_OBJECT_NAME") != "Contact" or link.get("LINK_OBJECT_ID") is None:
            continue
        yield {"Id": str(link["LINK_ID"]), "OpportunityId": opportunity_id, "ContactId": str(link["LINK_OBJECT_ID"]),
               "Role": link.get("ROLE"), "IsPrimary": None, "IsDeleted": False,
               "CreatedDate": iso_time(opportunity.get("DATE_CREATED_UTC")),
               "LastModifiedDate": updated, "SystemModstamp": updated}


def to_insightly(view: InsightlyObject, record: dict[str, Any], picklists: Picklists) -> dict[str, Any]:
    """The body of a create or update for one of the pipeline's records (without its id)."""
    body: dict[str, Any] = {}
    custom: list[dict[str, Any]] = []
    if view.name == "Task":
        record = _task_links(record, body)
    for name, value in record.items():
        if name in ("id", "Id") or name in view.left_out:
            continue
        if name.endswith(CUSTOM_SUFFIX):
            custom.append({"FIELD_NAME": name, "FIELD_VALUE": value})
        elif name == "Status" and name in view.writable:
            body["LEAD_STATUS_ID"] = _list_id(picklists.lead_statuses, value, "lead statuses")
        elif name == "LeadSource" and name in view.writable:
            body["LEAD_SOURCE_ID"] = _list_id(picklists.lead_sources, value, "lead sources")
        elif name in view.writable:
            body[view.fields[name]] = _wire_value(name, value)
        else:
            raise Unwritable(f"Insightly's {view.path} take no field the pipeline calls {name}")
    if custom:
        body["CUSTOMFIELDS"] = custom
    return body


def _task_links(record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A task's WhoId and WhoType as its LINKS; its status and priority in Insightly's words."""
    record = dict(record)
    who, kind = record.pop("WhoId", None), record.pop("WhoType", None)
    if who is not None:
        if kind not in ("Lead", "Contact"):
            raise Unwritable(f"a task's WhoId {who!r} comes without WhoType Lead or Contact: Insightly links by both")
        body["LINKS"] = [{"LINK_OBJECT_NAME": kind, "LINK_OBJECT_ID": _wire_value("WhoId", who)}]
    for name, words in (("Status", TASK_STATUSES), ("Priority", TASK_PRIORITIES)):
        if record.get(name) is not None:
            if record[name] not in words:
                raise Unwritable(f"{record[name]!r} is not a task {name.lower()} Insightly has: {', '.join(words)}")
            body[name.upper()] = words[record.pop(name)]
    if record.get("ActivityDate") is not None:
        body["DUE_DATE"] = f"{str(record.pop('ActivityDate'))[:10]} 00:00:00"
    return record


def _wire_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.endswith("Id"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Unwritable(f"{name} {value!r} is not an Insightly id") from None
    if name == "CloseDate":
        return f"{str(value)[:10]} 00:00:00"
    return value


def _list_id(items: dict[int, str], value: Any, what: str) -> int | None:
    if value is None:
        return None
    for number, name in items.items():
        if name == value:
            return number
    raise Unwritable(f"{value!r} is not one of the org's {what}: {', '.join(items.values())}")
