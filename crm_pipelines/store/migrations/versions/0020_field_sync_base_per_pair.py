"""The field sync base as one row per linked pair (issue 17): its fields' values and the times they
were stored at as two JSON objects, in place of a row per field. A first connection wrote a dozen
base rows for each prospect it created; one row a pair copies in five times faster. Its time is
indexed: a run after the first asks which pairs were stored since the last.

Revision ID: 0020
Revises: 0019
"""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from crm_pipelines.store.types import UtcDateTime, json_type

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_INDEX = "ix_field_sync_base_tenant_id_object_crm_id"
_SINCE = "ix_field_sync_base_tenant_id_object_synced_at"
_PAIR = ("tenant_id", "object", "app_id", "crm_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A time's microseconds since the epoch, exactly (no float on any server version).
_MICROS = ("(EXTRACT(EPOCH FROM date_trunc('second', {t}))::bigint * 1000000"
           " + EXTRACT(MICROSECONDS FROM {t})::bigint % 1000000)")


def _set_aside(table: str) -> None:
    op.rename_table("field_sync_base", table)
    op.drop_index(_INDEX, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT pk_field_sync_base TO pk_{table}')


def _create_base(held: list[sa.Column], keys: tuple[str, ...]) -> None:
    """`field_sync_base` holding the columns `held` (its values) after a pair's keys, keyed by
    `keys`, its time last, with the index of its reads by CRM id."""
    op.create_table(
        "field_sync_base",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("object", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("crm_id", sa.String(18), nullable=False),
        *held,
        sa.Column("synced_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint(*keys, name="pk_field_sync_base"),
    )
    op.create_index(_INDEX, "field_sync_base", ["tenant_id", "object", "crm_id"])


def upgrade() -> None:
    _set_aside("field_sync_base_rows")
    _create_base([sa.Column("field_values", json_type(), nullable=False),
                  sa.Column("field_times", json_type(), nullable=False)], _PAIR)
    op.create_index(_SINCE, "field_sync_base", ["tenant_id", "object", "synced_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO field_sync_base (tenant_id, object, app_id, crm_id, field_values, field_times, synced_at) "
            "SELECT tenant_id, object, app_id, crm_id, jsonb_object_agg(field, value), "
            f"jsonb_object_agg(field, {_MICROS.format(t='synced_at')}), max(synced_at) "
            "FROM field_sync_base_rows GROUP BY tenant_id, object, app_id, crm_id")
    else:
        _pairs_in_python(bind)
    op.drop_table("field_sync_base_rows")


def _pairs_in_python(bind: sa.Connection) -> None:
    """SQLite (the embedded store, small): the rows grouped here, times as UtcDateTime reads them."""
    old = sa.table("field_sync_base_rows", *(sa.column(c) for c in (*_PAIR, "field", "value")),
                   sa.column("synced_at", UtcDateTime()))
    values: dict[tuple, dict] = defaultdict(dict)
    times: dict[tuple, dict] = defaultdict(dict)
    latest: dict[tuple, datetime | None] = {}
    for row in bind.execute(sa.select(old)).mappings():
        pair = tuple(row[c] for c in _PAIR)
        values[pair][row["field"]] = row["value"]
        at = row["synced_at"]
        times[pair][row["field"]] = None if at is None else (at - _EPOCH) // timedelta(microseconds=1)
        known = [t for t in (latest.get(pair), at) if t is not None]
        latest[pair] = max(known) if known else None
    new = sa.table("field_sync_base", *(sa.column(c) for c in _PAIR), sa.column("field_values"),
                   sa.column("field_times"), sa.column("synced_at", UtcDateTime()))
    rows = [{**dict(zip(_PAIR, pair, strict=True)), "field_values": json.dumps(values[pair], ensure_ascii=False),
             "field_times": json.dumps(times[pair]), "synced_at": latest[pair]} for pair in values]
    if rows:
        bind.execute(new.insert(), rows)


def downgrade() -> None:
    op.drop_index(_SINCE, table_name="field_sync_base")
    _set_aside("field_sync_base_pairs")
    _create_base([sa.Column("field", sa.String(80), nullable=False), sa.Column("value", sa.Text(), nullable=True)],
                 (*_PAIR, "field"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO field_sync_base (tenant_id, object, app_id, crm_id, field, value, synced_at) "
            "SELECT p.tenant_id, p.object, p.app_id, p.crm_id, v.key, v.value, "
            "timestamptz 'epoch' + (p.field_times ->> v.key)::bigint * interval '1 microsecond' "
            "FROM field_sync_base_pairs p CROSS JOIN LATERAL jsonb_each_text(p.field_values) v")
    else:
        _rows_in_python(op.get_bind())
    op.drop_table("field_sync_base_pairs")


def _rows_in_python(bind: sa.Connection) -> None:
    pairs = sa.table("field_sync_base_pairs", *(sa.column(c) for c in _PAIR), sa.column("field_values", sa.JSON()),
                     sa.column("field_times", sa.JSON()))
    rows = []
    for row in bind.execute(sa.select(pairs)).mappings():
        for field, value in row["field_values"].items():
            micros = row["field_times"].get(field)
            rows.append({**{c: row[c] for c in _PAIR}, "field": field, "value": value,
                         "synced_at": None if micros is None else _EPOCH + timedelta(microseconds=micros)})
    old = sa.table("field_sync_base", *(sa.column(c) for c in (*_PAIR, "field", "value")),
                   sa.column("synced_at", UtcDateTime()))
    if rows:
        bind.execute(old.insert(), rows)
