"""Insightly's integer record ids for the org's Salesforce-style ids, both ways, with no table.

An 18-character id carries its object's key prefix, the org's pod and a record number
(`ids.record_number`). Every object of an org numbers its records from the same start, so the
number alone would give a Lead and a Contact the same id; Insightly numbers records across the
instance, and a client may tell records apart by id alone (the pipeline's matching does). So an
Insightly id is the record number times `_OBJECTS_APART` plus its object's code. Generated records
are numbered from 62**4 * (10..49) upwards: ten-digit ids. Records created in the simulator are
numbered from 62**9 (see `org_state`), past what a JSON client may hold exactly in a double, so
they are moved down to start at CREATED_BASE instead.
"""

from __future__ import annotations

from crm_pipelines.sim.ids import make_id, org_pod, record_number

_SIMULATOR_CREATED_NUMBERS = 62**9
CREATED_BASE = 2_000_000_000
# The key prefixes of the objects Insightly serves (User, Account, Contact, Lead, Opportunity,
# Task); any other object's records share the last code.
_CODES = {prefix: code for code, prefix in enumerate(("005", "001", "003", "00Q", "006", "00T"))}
_OTHER = len(_CODES)
_OBJECTS_APART = 8


def integer_id(record_id: str | None) -> int | None:
    if not record_id:
        return None
    number = record_number(record_id)
    if number >= _SIMULATOR_CREATED_NUMBERS:
        number = CREATED_BASE + number - _SIMULATOR_CREATED_NUMBERS
    return number * _OBJECTS_APART + _CODES.get(record_id[:3], _OTHER)


def record_id(key_prefix: str, org: str, number: int) -> str:
    """The 18-character id behind Insightly id `number` of the object with `key_prefix`; a
    ValueError when `number` is no id of that object."""
    if number < 0:
        raise ValueError(f"an Insightly id is a positive number, got {number}")
    number, code = divmod(number, _OBJECTS_APART)
    if code != _CODES.get(key_prefix, _OTHER):
        raise ValueError(f"{number * _OBJECTS_APART + code} is no id of the object with key prefix {key_prefix}")
    if number >= CREATED_BASE:
        number = number - CREATED_BASE + _SIMULATOR_CREATED_NUMBERS
    return make_id(key_prefix, number, org_pod(org))
