"""Insightly's integer record ids for the org's Salesforce-style ids, both ways, with no table.

An 18-character id carries its object's key prefix, the org's pod and a record number
(`ids.record_number`), so the number alone names the record once the object is known. Generated
records are numbered from 62**4 * (10..49) upwards: nine-digit numbers, as Insightly's ids are.
Records created in the simulator are numbered from 62**9 (see `org_state`), past what a JSON
client may hold exactly in a double, so they are moved down to start at CREATED_BASE instead.
"""

from __future__ import annotations

from crm_pipelines.sim.ids import make_id, org_pod, record_number

_SIMULATOR_CREATED_NUMBERS = 62**9
CREATED_BASE = 2_000_000_000


def integer_id(record_id: str | None) -> int | None:
    if not record_id:
        return None
    number = record_number(record_id)
    if number >= _SIMULATOR_CREATED_NUMBERS:
        return CREATED_BASE + number - _SIMULATOR_CREATED_NUMBERS
    return number


def record_id(key_prefix: str, org: str, number: int) -> str:
    """The 18-character id behind Insightly id `number` of the object with `key_prefix`."""
    if number < 0:
        raise ValueError(f"an Insightly id is a positive number, got {number}")
    if number >= CREATED_BASE:
        number = number - CREATED_BASE + _SIMULATOR_CREATED_NUMBERS
    return make_id(key_prefix, number, org_pod(org))
