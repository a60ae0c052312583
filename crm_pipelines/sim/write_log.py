"""What clients wrote to an org through the REST API, so tests can prove exactly-once delivery."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

WriteOperation = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class WriteLogEntry:
    time: str                  # the org time of the write, Salesforce format
    method: str                # HTTP method of the request
    endpoint: str              # e.g. "composite.upsert", "sobject.create"
    operation: WriteOperation
    sobject: str
    id: str
    external_id: str | None    # App_External_Id__c after the write, where the object has it
    fields: dict[str, Any]     # the fields the client sent, JSON-ready

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class WriteLog:
    def __init__(self) -> None:
        self._entries: list[WriteLogEntry] = []

    def append(self, entry: WriteLogEntry) -> None:
        self._entries.append(entry)

    def entries(self, sobject: str | None = None) -> list[WriteLogEntry]:
        if sobject is None:
            return list(self._entries)
        return [e for e in self._entries if e.sobject.lower() == sobject.lower()]

    def writes_per_external_id(self, sobject: str) -> dict[str, dict[str, int]]:
        """For each external id value: how many writes, and how many of them created a record."""
        writes: Counter[str] = Counter()
        creates: Counter[str] = Counter()
        for entry in self.entries(sobject):
            if entry.external_id is None:
                continue
            writes[entry.external_id] += 1
            if entry.operation == "create":
                creates[entry.external_id] += 1
        return {value: {"writes": writes[value], "creates": creates[value]} for value in writes}
