"""Record ids look and check like Salesforce's."""

import pytest

from crm_pipelines.sim.ids import (
    checksum_suffix, is_valid_id, make_id, make_ids, org_id, org_pod, record_number, stable_number, to_18,
)

# Published 15 -> 18 pairs (Salesforce help examples and the widely used converter test set).
KNOWN_PAIRS = [
    ("001D000000IqhSL", "001D000000IqhSLIAZ"),
    ("0015000000VALDt", "0015000000VALDtAAP"),
    ("a0D30000001n7Pi", "a0D30000001n7PiEAI"),
    ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
    ("a01M00000062mPg", "a01M00000062mPgIAI"),
    ("001M000000qfPyS", "001M000000qfPySIAU"),
    ("a0FE000000D6r3F", "a0FE000000D6r3FMAR"),
    ("0F9E000000092w2", "0F9E000000092w2KAA"),
    ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
]


@pytest.mark.parametrize(("id15", "id18"), KNOWN_PAIRS)
def test_to_18_matches_published_pairs(id15: str, id18: str) -> None:
    assert to_18(id15) == id18


def test_to_18_leaves_a_correct_18_character_id_alone() -> None:
    assert to_18("001D000000IqhSLIAZ") == "001D000000IqhSLIAZ"


def test_to_18_rejects_a_wrong_suffix() -> None:
    with pytest.raises(ValueError, match="wrong checksum"):
        to_18("001D000000IqhSLAAA")


def test_all_upper_case_block_maps_to_digit_5() -> None:
    assert checksum_suffix("AAAAA00000aaaaa") == "5AA"


def test_make_id_is_prefix_pod_base62_number_and_suffix() -> None:
    # 62 * 62 + 62 + 1 in base 62 is "111".
    assert make_id("003", 62 * 62 + 62 + 1) == "0035g0000000111AAA"
    # 61 is "z"; the pod's "D" sits at position 4 of the first block, bit 4 -> "Q".
    assert make_id("001", 61, pod="0D") == "0010D000000000zQAA"


def test_make_id_suffix_tracks_upper_case_in_the_number() -> None:
    # 10 is "A", the last character of the third block (bit 4 -> "Q"); the prefix's "Q" is
    # character 2 of the first block (bit 2 -> "E").
    assert make_id("00Q", 10) == "00Q5g000000000AEAQ"


def test_make_id_rejects_a_bad_prefix() -> None:
    with pytest.raises(ValueError, match="key prefix"):
        make_id("01", 1)


def test_make_ids_equals_make_id_one_by_one() -> None:
    start = 62**4 * 20 - 5
    ids = make_ids("006", start, 300)
    assert ids.dtype.kind == "U"
    assert list(ids) == [make_id("006", start + i) for i in range(300)]


def test_generated_ids_are_valid_and_18_characters() -> None:
    ids = make_ids("701", 1000, 50)
    assert all(len(i) == 18 and is_valid_id(i) for i in ids)


def test_is_valid_id_rejects_a_changed_case() -> None:
    assert is_valid_id("001D000000IqhSLIAZ")
    assert not is_valid_id("001d000000IqhSLIAZ")
    assert not is_valid_id("001D000000IqhS")


def test_org_id_is_fixed_by_name_and_differs_between_orgs() -> None:
    assert org_id("acme") == org_id("acme")
    assert org_id("acme") != org_id("globex")
    assert org_id("acme").startswith("00D" + org_pod("acme") + "00000")
    assert is_valid_id(org_id("acme"))


def test_org_pod_is_a_digit_and_a_letter_fixed_by_name() -> None:
    pods = {org_pod(name) for name in ("acme", "globex", "initech")}
    assert len(pods) == 3
    assert all(p[0].isdigit() and p[1].islower() for p in pods)
    assert org_pod("acme") == org_pod("acme")


def test_stable_number_does_not_depend_on_the_process() -> None:
    # Fixed value: BLAKE2b-64 of "acme"; Python's hash() would change per process.
    assert stable_number("acme") == stable_number("acme")
    assert stable_number("acme") == int.from_bytes(
        __import__("hashlib").blake2b(b"acme", digest_size=8).digest(), "big")


def test_record_number_inverts_make_id() -> None:
    assert record_number("0035g0000000111AAA") == 62 * 62 + 62 + 1
    assert record_number(make_id("00Q", 123_456_789)) == 123_456_789
