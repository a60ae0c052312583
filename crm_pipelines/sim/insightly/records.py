"""Records in Insightly's shape, read from the org's tables, and client bodies turned into the
org's own field values for its write path.

A record is its object's fields, then (unless `brief=true`) CUSTOMFIELDS, the Salesforce custom
fields as `{FIELD_NAME, FIELD_VALUE}` pairs with nulls left out, and LINKS: a contact's
organisation, the contacts of an opportunity with their role (Salesforce's contact roles), a task's
contact or lead and its organisation or opportunity.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from crm_pipelines.sim.ids import stable_number
from crm_pipelines.sim.insightly.fields import Field, bad_request
from crm_pipelines.sim.insightly.integer_ids import integer_id, record_id
from crm_pipelines.sim.insightly.objects import CLOSED_AS_LOST, OBJECTS, OPEN_STAGES, InsightlyObject
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.schema import sobject, sobject_for_id

_RECORD_NAMES = {o.sobject: o.record_name for o in OBJECTS.values()}


def live_positions(org: OrgState, view: InsightlyObject) -> np.ndarray:
    """Positions of the records a client can see, in id order: deleted ones are gone."""
    table = org.table(view.sobject)
    deleted = table.frame()["IsDeleted"].to_numpy(dtype=bool, na_value=False)
    return np.flatnonzero(table.present() & ~deleted)


def _link(record_id: str, other_id: str, role: Any = None, *, object_name: str) -> dict[str, Any]:
    other = sobject_for_id(other_id)
    return {"LINK_ID": stable_number(f"link:{record_id}:{other_id}") % 10**9,
            "OBJECT_NAME": object_name, "OBJECT_ID": integer_id(record_id),
            "LINK_OBJECT_NAME": _RECORD_NAMES.get(other.name if other else "", "Unknown"),
            "LINK_OBJECT_ID": integer_id(other_id), "ROLE": role, "DETAILS": None,
            "RELATIONSHIP_ID": None, "IS_FORWARD": None}


def _role_links(org: OrgState, view: InsightlyObject, ids: list[str]) -> dict[str, list[tuple[str, Any]]]:
    """Contact roles by record: a contact's opportunities, or an opportunity's contacts."""
    own, other = {"Contact": ("ContactId", "OpportunityId"),
                  "Opportunity": ("OpportunityId", "ContactId")}.get(view.sobject, (None, None))
    found: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    if own is None:
        return found
    roles = org.table("OpportunityContactRole")
    for position in roles.positions_where_in(own, ids):
        row = roles.row(int(position))
        if not row["IsDeleted"] and row[other]:
            found[row[own]].append((row[other], row["Role"]))
    return found


def _reference_links(row: dict[str, Any]) -> list[str]:
    return [row[name] for name in ("AccountId", "WhoId", "WhatId") if row.get(name)]


def records(org: OrgState, view: InsightlyObject, positions: np.ndarray, *,
            brief: bool = False) -> list[dict[str, Any]]:
    table = org.table(view.sobject)
    rows = [table.row(int(p)) for p in positions]
    roles = {} if brief else _role_links(org, view, [r["Id"] for r in rows])
    custom = view.custom_fields()
    out = []
    for row in rows:
        record = {f.name: f.encode(row.get(f.source)) if f.source else f.default for f in view.fields}
        if not brief:
            record["CUSTOMFIELDS"] = [{"FIELD_NAME": name, "FIELD_VALUE": _custom_value(row[name])}
                                      for name in custom if row[name] is not None]
            links = [_link(row["Id"], other, object_name=view.record_name)
                     for other in _reference_links(row)]
            links += [_link(row["Id"], other, role, object_name=view.record_name)
                      for other, role in roles.get(row["Id"], [])]
            record["LINKS"] = links
        out.append(record)
    return out


def _custom_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- writes ----------------------------------------------------------------------------------
def _opportunity_stage(body: dict[str, Any], current: str | None) -> str | None:
    state = body.pop("OPPORTUNITY_STATE", None)
    stage_id = body.pop("STAGE_ID", None)
    stage = OBJECTS["opportunities"].field("STAGE_ID")
    assert stage is not None
    state = str(state).upper() if state is not None else None
    if state in ("WON", "LOST") or state in CLOSED_AS_LOST:
        return "Closed Won" if state == "WON" else "Closed Lost"
    if state not in (None, "OPEN"):
        raise bad_request(f"OPPORTUNITY_STATE: {state!r} is not one of OPEN, WON, LOST, "
                          f"{', '.join(CLOSED_AS_LOST)}")
    if stage_id is not None:
        return str(stage.decode(stage_id, ""))
    if state == "OPEN" and current not in OPEN_STAGES:
        return OPEN_STAGES[0]
    return None


def org_fields(org: OrgState, view: InsightlyObject, body: Any, *,
               current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The org's field values (as JSON) for an Insightly body; read-only and unknown fields are
    ignored, as Insightly ignores them, and the id is the caller's business."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be one JSON object.")
    body = dict(body)
    values: dict[str, Any] = {}
    if view.sobject == "Opportunity":
        stage = _opportunity_stage(body, current.get("StageName") if current else None)
        if stage is not None:
            values["StageName"] = stage
    custom = body.pop("CUSTOMFIELDS", None) or []
    values.update(_linked(org, view, body.pop("LINKS", None)))
    for name, value in body.items():
        spec: Field | None = view.field(name)
        if spec is None or not spec.writable or spec.source is None:
            continue
        values[spec.source] = spec.decode(value, org.name)
    known = set(view.custom_fields())
    if not isinstance(custom, list):
        raise bad_request("CUSTOMFIELDS must be a list of {FIELD_NAME, FIELD_VALUE}.")
    for item in custom:
        name = item.get("FIELD_NAME") if isinstance(item, dict) else None
        if name not in known:
            raise bad_request(f"CUSTOMFIELDS: no custom field {name!r} on {view.name}")
        values[str(name)] = item.get("FIELD_VALUE")
    return values


# What a task's links may name, and the org's reference field each one fills.
_TASK_LINKS = {"Contact": ("WhoId", "Contact"), "Lead": ("WhoId", "Lead"),
               "Organisation": ("WhatId", "Account"), "Opportunity": ("WhatId", "Opportunity")}


def _linked(org: OrgState, view: InsightlyObject, links: Any) -> dict[str, Any]:
    """A task's LINKS as its contact or lead and its organisation or opportunity. Insightly links
    records of other objects too; the simulator keeps a task's links only, and ignores the LINKS
    of other objects, as they are read-only here."""
    if view.sobject != "Task" or not links:
        return {}
    if not isinstance(links, list):
        raise bad_request("LINKS must be a list of {LINK_OBJECT_NAME, LINK_OBJECT_ID}.")
    values: dict[str, Any] = {}
    for link in links:
        name = link.get("LINK_OBJECT_NAME") if isinstance(link, dict) else None
        if name not in _TASK_LINKS:
            raise bad_request(f"LINKS: a task links to one of {', '.join(_TASK_LINKS)}, not {name!r}")
        field, target = _TASK_LINKS[name]
        try:
            values[field] = record_id(sobject(target).key_prefix, org.name, int(link.get("LINK_OBJECT_ID")))
        except (TypeError, ValueError):
            raise bad_request(f"LINKS: LINK_OBJECT_ID {link.get('LINK_OBJECT_ID')!r} is no {name} id") from None
    return values


def defaults_on_create(view: InsightlyObject, values: dict[str, Any]) -> dict[str, Any]:
    """What Insightly does not require but the org's object does."""
    if view.sobject == "Lead" and not values.get("Company"):
        values["Company"] = "[not provided]"  # Salesforce's web-to-lead writes the same
    if view.sobject == "Opportunity" and not values.get("StageName"):
        values["StageName"] = OPEN_STAGES[0]
    return values
