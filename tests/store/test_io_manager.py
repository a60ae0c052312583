"""The tenant-partitioned IO manager (issue 2, item 4), on SQLite and on real PostgreSQL."""


from datetime import UTC, datetime

import pandas as pd
import pytest
from dagster import AssetExecutionContext, DagsterInstance, asset, materialize
from sqlalchemy import text

from crm_pipelines.partitions import tenant_partitions
from crm_pipelines.store.io_manager import TenantRowsError, TenantTableIOManager, read_tenant_partition, write_tenant_partition
from crm_pipelines.store.tables import tenant_settings

CAPTURED = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def settings_rows(tenant: str, n: int, value_prefix: str = "v") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenant_id": tenant,
            "setting": [f"s{i:03d}" for i in range(n)],
            "value": [f"{value_prefix}{i}\twith\ttabs\nand 'quotes' \\ back" if i % 3 else None for i in range(n)],
            "is_default": [i % 2 == 0 for i in range(n)],
            "captured_at": CAPTURED,
        }
    )


def _plain(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


def raw_rows(db, tenant: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT * FROM tenant_settings WHERE tenant_id = :t ORDER BY setting"), {"t": tenant}
        ).fetchall()


def test_write_then_read_round_trips_exactly(db):
    frame = settings_rows("acme", 10)
    write_tenant_partition(db, tenant_settings, "acme", frame)
    back = read_tenant_partition(db, tenant_settings, "acme")
    assert back["setting"].tolist() == frame["setting"].tolist()
    assert _plain(back["value"]) == _plain(frame["value"])
    assert back["is_default"].tolist() == frame["is_default"].tolist()
    assert (back["captured_at"] == pd.Timestamp(CAPTURED)).all()


def test_writing_tenant_a_leaves_tenant_b_byte_for_byte_unchanged(db):
    write_tenant_partition(db, tenant_settings, "acme", settings_rows("acme", 5))
    write_tenant_partition(db, tenant_settings, "globex", settings_rows("globex", 7, "g"))
    before_b = raw_rows(db, "globex")

    write_tenant_partition(db, tenant_settings, "acme", settings_rows("acme", 3, "new"))

    assert raw_rows(db, "globex") == before_b
    assert [r.setting for r in raw_rows(db, "acme")] == ["s000", "s001", "s002"]


def test_reading_returns_only_the_requested_tenant(db):
    write_tenant_partition(db, tenant_settings, "acme", settings_rows("acme", 4))
    write_tenant_partition(db, tenant_settings, "globex", settings_rows("globex", 6))
    assert set(read_tenant_partition(db, tenant_settings, "acme")["tenant_id"]) == {"acme"}
    assert len(read_tenant_partition(db, tenant_settings, "globex")) == 6


def test_a_frame_with_another_tenants_rows_is_refused_and_nothing_changes(db):
    write_tenant_partition(db, tenant_settings, "acme", settings_rows("acme", 2))
    before = raw_rows(db, "acme")
    mixed = pd.concat([settings_rows("acme", 2), settings_rows("globex", 1)])
    with pytest.raises(TenantRowsError, match="globex"):
        write_tenant_partition(db, tenant_settings, "acme", mixed)
    assert raw_rows(db, "acme") == before


def test_a_failed_write_rolls_back_the_delete(db):
    write_tenant_partition(db, tenant_settings, "acme", settings_rows("acme", 3))
    before = raw_rows(db, "acme")
    duplicate_keys = pd.concat([settings_rows("acme", 2), settings_rows("acme", 2)])
    with pytest.raises(Exception):
        write_tenant_partition(db, tenant_settings, "acme", duplicate_keys)
    assert raw_rows(db, "acme") == before


def test_unknown_columns_are_refused_naming_them(db):
    frame = settings_rows("acme", 1).assign(colour="blue")
    with pytest.raises(ValueError, match="colour"):
        write_tenant_partition(db, tenant_settings, "acme", frame)


def test_materialize_through_dagster_writes_and_reads_one_partition(db):
    @asset(partitions_def=tenant_partitions, io_manager_key="tenant_io_manager")
    def tenant_settings(context: AssetExecutionContext) -> pd.DataFrame:
        return settings_rows(context.partition_key, 3).drop(columns=["tenant_id"])

    @asset(partitions_def=tenant_partitions, io_manager_key="tenant_io_manager")
    def settings_count(tenant_settings: pd.DataFrame) -> None:
        assert set(tenant_settings["tenant_id"]) == {"acme"}
        assert len(tenant_settings) == 3

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["acme", "globex"])
    io = TenantTableIOManager(database_url=db.engine.url.render_as_string(hide_password=False))
    result = materialize(
        [tenant_settings, settings_count],
        partition_key="acme",
        instance=instance,
        resources={"tenant_io_manager": io},
    )
    assert result.success
    assert len(raw_rows(db, "acme")) == 3
    assert raw_rows(db, "globex") == []
