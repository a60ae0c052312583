"""Which push targets the warehouse holds as deleted (E3), asked for a few ids (each by its key)
or for thousands (the tenant's deleted ids, intersected: a seeded delivery's 30,000 targets made
the database scan each table once per statement), gives the same answer, for one tenant only, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.store.bulk import insert_frame
from crm_pipelines.store.crm_lookup import deleted_crm_ids
from crm_pipelines.store.tables import crm_tables

AT = pd.Timestamp("2026-11-20", tz="UTC")


def _rows(tenant: str, prefix: str, n: int, deleted_every: int) -> pd.DataFrame:
    return pd.DataFrame({"tenant_id": tenant, "id": [f"{prefix}{i:015d}" for i in range(n)],
                         "is_deleted": [i % deleted_every == 0 for i in range(n)], "extracted_at": AT})


def test_few_and_many_ids_find_the_same_deleted_targets_of_the_tenant_alone(db):
    with db.transaction() as conn:
        insert_frame(conn, crm_tables["Contact"], _rows("acme", "003", 1200, 7))
        insert_frame(conn, crm_tables["Lead"], _rows("acme", "00Q", 300, 5))
        # Another tenant holds the same Lead ids, all deleted: never this tenant's answer.
        insert_frame(conn, crm_tables["Lead"], _rows("globex", "00Q", 300, 1))
    contacts = [f"003{i:015d}" for i in range(1200)]
    leads = [f"00Q{i:015d}" for i in range(300)]
    unknown = ["001000000000000XYZ"]
    many = deleted_crm_ids(db, "acme", contacts + leads + unknown)
    expected = {c for i, c in enumerate(contacts) if i % 7 == 0} | {lead for i, lead in enumerate(leads) if i % 5 == 0}
    assert many == expected
    few = set()
    for start in range(0, len(contacts + leads), 400):
        few |= deleted_crm_ids(db, "acme", (contacts + leads)[start:start + 400] + unknown)
    assert few == many
    assert deleted_crm_ids(db, "acme", leads[1:5]) == set() and deleted_crm_ids(db, "acme", []) == set()
