"""Writing only the rows that differ (store.changed_rows, issue 17): a partition replaced that way
holds exactly what replacing it whole holds, other tenants untouched, on SQLite and PostgreSQL;
and an asset whose metadata asks for it is written so by the IO manager. So do some rows of an app
table (SomeAppRows: the prospects a sync changed)."""

import pandas as pd
import pytest
from dagster import AssetExecutionContext, DagsterInstance, asset, materialize

from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.app_data import SomeAppRows, read_app_table, replace_app_rows, write_app_tables
from crm_pipelines.store.changed_rows import write_changed_rows
from crm_pipelines.store.io_manager import (
    WRITE_CHANGED_ROWS, TenantTableIOManager, read_tenant_partition, write_tenant_partition,
)
from crm_pipelines.store.tables import matched_prospects


def matches(n: int, crm_prefix: str = "003") -> pd.DataFrame:
    return pd.DataFrame({
        "prospect_id": [f"p{i:04d}" for i in range(n)],
        "crm_id": [f"{crm_prefix}{i:015d}" for i in range(n)],
        "crm_type": ["Contact" if i % 2 else "Lead" for i in range(n)],
        "matched_by": ["id" if i % 3 else "email" for i in range(n)],
        "candidates": [1 + i % 2 for i in range(n)],
        "ambiguous": [i % 5 == 0 for i in range(n)],
    })


def edited(frame: pd.DataFrame) -> pd.DataFrame:
    """One row changed, one gone, one new, one changed back to NA-free values, in another order."""
    out = frame.drop(index=[3]).copy()
    out.loc[5, "crm_id"] = "00Q000000000000555"
    out.loc[7, "ambiguous"] = not out.loc[7, "ambiguous"]
    new = pd.DataFrame({"prospect_id": ["p9999"], "crm_id": ["00Q000000000009999"], "crm_type": ["Lead"],
                        "matched_by": ["manual"], "candidates": [1], "ambiguous": [False]})
    return pd.concat([out, new], ignore_index=True).iloc[::-1].reset_index(drop=True)


def whole_written(db, frame: pd.DataFrame) -> pd.DataFrame:
    write_tenant_partition(db, matched_prospects, "acme", frame)
    return read_tenant_partition(db, matched_prospects, "acme")


def changed_written(db, before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    write_tenant_partition(db, matched_prospects, "acme", before)
    with db.transaction() as conn:
        counts = write_changed_rows(conn, matched_prospects, "acme", after.assign(tenant_id="acme"))
    return read_tenant_partition(db, matched_prospects, "acme"), counts


def test_writing_changed_rows_leaves_what_a_whole_write_leaves(db):
    write_tenant_partition(db, matched_prospects, "globex", matches(4, "00Q"))
    globex = read_tenant_partition(db, matched_prospects, "globex")
    after = edited(matches(40))
    expected = whole_written(db, after)
    got, counts = changed_written(db, matches(40), after)
    pd.testing.assert_frame_equal(got, expected)
    assert counts == {"written": 3, "deleted": 3}  # p0005 and p0007 replaced, p9999 new; p0003 gone
    pd.testing.assert_frame_equal(read_tenant_partition(db, matched_prospects, "globex"), globex)


def test_an_unchanged_partition_writes_nothing(db):
    got, counts = changed_written(db, matches(12), matches(12).sample(frac=1, random_state=1))
    assert counts == {"written": 0, "deleted": 0}
    pd.testing.assert_frame_equal(got, whole_written(db, matches(12)))


@pytest.mark.parametrize("after", [matches(30, "00Q"), matches(0), matches(5)], ids=["all-changed", "emptied", "most-gone"])
def test_mostly_changed_partitions_are_rewritten_whole_with_the_same_result(db, after):
    got, counts = changed_written(db, matches(30), after)
    assert counts["written"] == len(after)
    pd.testing.assert_frame_equal(got, whole_written(db, after))


def test_unknown_columns_are_still_refused(db):
    with pytest.raises(ValueError, match="colour"), db.transaction() as conn:
        write_changed_rows(conn, matched_prospects, "acme", matches(2).assign(colour="blue"))


def test_an_asset_asking_for_it_is_written_by_its_changed_rows(db):
    rows = {"frame": matches(20)}

    @asset(name="matched_prospects", partitions_def=tenant_partitions, io_manager_key="tenant_io_manager",
           metadata={WRITE_CHANGED_ROWS: True})
    def matched(context: AssetExecutionContext) -> pd.DataFrame:
        return rows["frame"]

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme"])
    io = TenantTableIOManager(database_url=db.engine.url.render_as_string(hide_password=False))
    written = []
    for frame in (matches(20), edited(matches(20))):
        rows["frame"] = frame
        result = materialize([matched], partition_key="acme", instance=instance, resources={"tenant_io_manager": io})
        written.append(result.asset_materializations_for_node("matched_prospects")[0].metadata["rows_written"].value)
    assert written == [20, 3]
    pd.testing.assert_frame_equal(read_tenant_partition(db, matched_prospects, "acme"),
                                  whole_written(db, edited(matches(20))))


def _prospects(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "prospect_id": [f"p{i:03d}" for i in range(n)],
        "email": [f"person{i}@x.com" for i in range(n)],
        "title": [None if i % 4 == 0 else f"Title {i}" for i in range(n)],
        "lead_score": [float(i) for i in range(n)],
        "field_changed_at": [{"title": "2026-01-01T00:00:00Z"} if i % 3 == 0 else None for i in range(n)],
    })


def test_some_app_rows_replace_only_their_ids_as_a_whole_write_would(db):
    before = _prospects(12)
    after = before.drop(index=[4]).reset_index(drop=True)  # p004 gone
    after.loc[2, "title"] = "Changed"
    times = after["field_changed_at"].tolist()
    times[6] = {"email": "2026-02-01T00:00:00Z"}  # p007's
    after["field_changed_at"] = times
    after = pd.concat([after, _prospects(13).iloc[[12]]], ignore_index=True)  # p012 new
    write_app_tables(db, "globex", {"prospects": _prospects(3)})
    write_app_tables(db, "acme", {"prospects": after})
    expected = read_app_table(db, "acme", "prospects")
    write_app_tables(db, "acme", {"prospects": before})
    ids = ["p002", "p004", "p007", "p012"]
    with db.transaction() as conn:
        written = replace_app_rows(conn, "acme", {"prospects": SomeAppRows(after.loc[after["prospect_id"].isin(ids)], ids)})
    assert written == {"prospects": 3}
    pd.testing.assert_frame_equal(read_app_table(db, "acme", "prospects"), expected)
    assert read_app_table(db, "globex", "prospects")["prospect_id"].tolist() == ["p000", "p001", "p002"]


def test_some_app_rows_refuse_rows_outside_their_ids(db):
    with pytest.raises(ValueError, match="not among the ids"), db.transaction() as conn:
        replace_app_rows(conn, "acme", {"prospects": SomeAppRows(_prospects(2), ["p000"])})
