"""Field values Salesforce fills in itself: defaults on create and fields computed from others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_pipelines.sim.schema import SObjectSchema

DEFAULTS_ON_CREATE: dict[str, dict[str, Any]] = {
    "Lead": {"Status": "Open - Not Contacted"},
    "Task": {"Status": "Not Started", "Priority": "Normal", "TaskSubtype": "Task"},
    "AccountTeamMember": {"AccountAccessLevel": "Read"},
    "User": {"IsActive": True},
}
STAGE_PROBABILITY: dict[str, float] = {
    "Prospecting": 10.0, "Qualification": 10.0, "Needs Analysis": 20.0, "Proposal": 50.0,
    "Negotiation": 90.0, "Closed Won": 100.0, "Closed Lost": 0.0,
}


def derived_fields(schema: SObjectSchema, record: Mapping[str, Any],
                   changed: Mapping[str, Any]) -> dict[str, Any]:
    """Fields computed from `changed` ones: a person's Name, an opportunity's IsClosed and IsWon."""
    derived: dict[str, Any] = {}
    if schema.name in ("Contact", "Lead", "User") and ({"FirstName", "LastName"} & changed.keys()):
        parts = [record.get("FirstName"), record.get("LastName")]
        derived["Name"] = " ".join(str(p) for p in parts if p) or None
    if schema.name == "Opportunity" and "StageName" in changed:
        stage = record.get("StageName")
        derived["IsClosed"] = stage in ("Closed Won", "Closed Lost")
        derived["IsWon"] = stage == "Closed Won"
    return derived
