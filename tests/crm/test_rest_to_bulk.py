"""The records a Bulk job reads again after the first REST page: only the same version (Id and
SystemModstamp) of a record the page handed on at its last stamp is dropped."""

import pyarrow as pa

from crm_pipelines.core.extraction import ArrowRecords
from crm_pipelines.crm.salesforce.rest_to_bulk import AlreadyRead

LAST = "2026-06-01T10:00:00.000+0000"
PAGE = [
    {"Id": "003000000000001AAA", "SystemModstamp": "2026-06-01T09:59:59.000+0000"},
    {"Id": "003000000000002AAA", "SystemModstamp": LAST},
    {"Id": "003000000000003AAA", "SystemModstamp": LAST},
]


def _job_page(rows: list[tuple[str, str]]) -> ArrowRecords:
    return ArrowRecords(pa.table({"Id": pa.array([r[0] for r in rows], pa.string()),
                                  "SystemModstamp": pa.array([r[1] for r in rows], pa.string())}))


def test_the_page_end_is_the_records_sharing_its_last_stamp():
    already = AlreadyRead.at_end_of(PAGE)
    assert already.ids == {"003000000000002AAA", "003000000000003AAA"}
    assert already.stamp.isoformat() == "2026-06-01T10:00:00+00:00"


def test_only_the_same_version_of_a_record_already_handed_on_is_dropped():
    job = _job_page([
        ("003000000000002AAA", "2026-06-01T10:00:00.000Z"),  # the same version, as Bulk's CSV writes it
        ("003000000000003AAA", "2026-06-01T10:00:05.000Z"),  # changed since the page: kept
        ("003000000000000AAA", "2026-06-01T10:00:00.000Z"),  # committed late with that stamp: kept
        ("003000000000009AAA", "2026-06-02T00:00:00.000Z"),
    ])
    kept = AlreadyRead.at_end_of(PAGE).dropped_from(job)
    assert [r["Id"] for r in kept] == ["003000000000003AAA", "003000000000000AAA", "003000000000009AAA"]
    assert AlreadyRead.at_end_of(PAGE).dropped_from(_job_page([])).table.num_rows == 0
