"""Salesforce record ids: 15-character case-sensitive bodies with the 3-character checksum suffix.

An id is key prefix (3) + pod (2) + base-62 record number (10) = 15 characters, then a suffix that
encodes which of the 15 characters are upper case, so the 18-character form survives tools that
compare case-insensitively. The suffix algorithm is Salesforce's published one: each block of five
characters gives a 5-bit mask (bit i set when character i of the block is A-Z), and the mask
indexes "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".
"""

from __future__ import annotations

import hashlib

import numpy as np

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_NUMBER_WIDTH = 10
_MAX_NUMBER = 62**_NUMBER_WIDTH

_BASE62_BYTES = np.frombuffer(BASE62.encode("ascii"), dtype=np.uint8)
_SUFFIX_BYTES = np.frombuffer(_SUFFIX_CHARS.encode("ascii"), dtype=np.uint8)
_BASE62_INDEX = {c: i for i, c in enumerate(BASE62)}


def _check_head(key_prefix: str, pod: str) -> None:
    if len(key_prefix) != 3 or any(c not in _BASE62_INDEX for c in key_prefix):
        raise ValueError(f"key prefix {key_prefix!r} must be 3 base-62 characters")
    if len(pod) != 2 or any(c not in _BASE62_INDEX for c in pod):
        raise ValueError(f"pod {pod!r} must be 2 base-62 characters")


def checksum_suffix(id15: str) -> str:
    """The 3-character case-insensitivity suffix of a 15-character id."""
    if len(id15) != 15:
        raise ValueError(f"id {id15!r} must have 15 characters to take a checksum, has {len(id15)}")
    suffix = []
    for block in range(3):
        mask = 0
        for position, char in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                mask |= 1 << position
        suffix.append(_SUFFIX_CHARS[mask])
    return "".join(suffix)


def to_18(id15: str) -> str:
    """The 18-character form of a 15-character id (an 18-character id is returned as it is)."""
    if len(id15) == 18:
        if checksum_suffix(id15[:15]) != id15[15:]:
            raise ValueError(f"id {id15!r} has a wrong checksum suffix")
        return id15
    if any(c not in _BASE62_INDEX for c in id15):
        raise ValueError(f"id {id15!r} holds characters outside 0-9, A-Z, a-z")
    return id15 + checksum_suffix(id15)


def is_valid_id(value: str) -> bool:
    """True for a 15- or 18-character id made of base-62 characters with a correct suffix."""
    if len(value) not in (15, 18) or any(c not in _BASE62_INDEX for c in value[:15]):
        return False
    return len(value) == 15 or checksum_suffix(value[:15]) == value[15:]


def make_id(key_prefix: str, number: int, pod: str = "5g") -> str:
    """The 18-character id of record `number` of the object with `key_prefix`."""
    _check_head(key_prefix, pod)
    if not 0 <= number < _MAX_NUMBER:
        raise ValueError(f"record number {number} is outside 0..62**10-1")
    digits = []
    for _ in range(_NUMBER_WIDTH):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return to_18(key_prefix + pod + "".join(reversed(digits)))


def make_id_bytes(key_prefix: str, start: int, count: int, pod: str = "5g") -> np.ndarray:
    """Ids of records start..start+count-1 as a (count, 18) uint8 array of ASCII codes.

    The raw form lets callers build Arrow string arrays without going through Python strings.
    """
    _check_head(key_prefix, pod)
    if count < 0 or start < 0 or start + count > _MAX_NUMBER:
        raise ValueError(f"record numbers {start}..{start + count - 1} are outside 0..62**10-1")
    out = np.empty((count, 18), dtype=np.uint8)
    out[:, 0:3] = np.frombuffer(key_prefix.encode("ascii"), dtype=np.uint8)
    out[:, 3:5] = np.frombuffer(pod.encode("ascii"), dtype=np.uint8)
    numbers = np.arange(start, start + count, dtype=np.int64)
    for position in range(14, 4, -1):
        numbers, digit = np.divmod(numbers, 62)
        out[:, position] = _BASE62_BYTES[digit]
    upper = (out[:, :15] >= ord("A")) & (out[:, :15] <= ord("Z"))
    weights = (1 << np.arange(5)).astype(np.uint8)
    masks = upper.reshape(count, 3, 5).astype(np.uint8) @ weights
    out[:, 15:18] = _SUFFIX_BYTES[masks]
    return out


def make_ids(key_prefix: str, start: int, count: int, pod: str = "5g") -> np.ndarray:
    """18-character ids of records start..start+count-1, as a numpy array of str (dtype <U18)."""
    raw = make_id_bytes(key_prefix, start, count, pod)
    return raw.view("S18").ravel().astype("U18")


def stable_number(text: str) -> int:
    """A 64-bit number from text that is the same in every process (unlike Python's hash())."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def org_pod(org: str) -> str:
    """The 2-character pod of the org named `org`, a digit and a letter as in "5g" or "8a".

    Giving each org its own pod keeps ids unique across orgs, as Salesforce's are, so a record
    that crosses from one tenant to another cannot pass unnoticed.
    """
    if not org:
        raise ValueError("org name must not be empty")
    number = stable_number("pod:" + org)
    return "0123456789"[number % 10] + "abcdefghijklmnopqrstuvwxyz"[(number // 10) % 26]


def org_id(org: str) -> str:
    """The 18-character Organization id (prefix 00D) of the org named `org`, fixed by the name."""
    if not org:
        raise ValueError("org name must not be empty")
    # Real org ids carry a small number after the pod; keep it in the 00000XXXXX range.
    return make_id("00D", 62**4 + stable_number(org) % (61 * 62**4), pod=org_pod(org))


def record_number(record_id: str) -> int:
    """The base-62 record number inside an id (characters 6-15), the inverse of make_id."""
    if len(record_id) not in (15, 18):
        raise ValueError(f"id {record_id!r} must have 15 or 18 characters")
    number = 0
    for char in record_id[5:15]:
        try:
            number = number * 62 + _BASE62_INDEX[char]
        except KeyError:
            raise ValueError(f"id {record_id!r} holds {char!r}, outside 0-9, A-Z, a-z") from None
    return number
