"""The base of the three-way field sync (F3): the value each two-way field of a linked pair last
had on both sides, and when it was stored. Read and written as a frame of one row per (object,
app record, CRM record, field); stored as one row per pair (tables.field_sync_base: the fields'
values and times as two JSON objects), which a write merges field by field into what is there."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger, Column, Connection, MetaData, Select, String, Table, Text, and_, bindparam, cast, false, func, literal,
    select, text, true, type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from crm_pipelines.core.json_objects import json_objects, json_strings
from crm_pipelines.store.bulk import upsert_frame
from crm_pipelines.store.copy_reads import copied_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.key_ranges import KeyRange, ids_in
from crm_pipelines.store.tables import field_sync_base
from crm_pipelines.store.types import UtcDateTime

BASE_KEYS = ("tenant_id", "object", "app_id", "crm_id", "field")
BASE_COLUMNS = ("object", "app_id", "crm_id", "field", "value")
PAIR_KEYS = ("tenant_id", "object", "app_id", "crm_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The table as a write copies its JSON objects in: as the text they already are.
_WRITTEN = Table(field_sync_base.name, MetaData(), *[
    Column(c.name, Text() if c.name in ("field_values", "field_times") else c.type, primary_key=c.primary_key)
    for c in field_sync_base.columns])
# PostgreSQL: a pair already stored keeps the fields a write does not name.
_MERGED = {
    "field_values": '"field_sync_base"."field_values" || EXCLUDED."field_values"',
    "field_times": '"field_sync_base"."field_times" || EXCLUDED."field_times"',
    "synced_at": 'GREATEST("field_sync_base"."synced_at", EXCLUDED."synced_at")',
}


def read_base(db: Database, tenant_id: str, object: str | None = None, *,
              crm_ids: KeyRange | None = None, app_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The tenant's base rows (BASE_COLUMNS and synced_at) in key order, of one app object or all;
    with `crm_ids`, only the rows of CRM records in that key range; with `app_ids`, only those of
    these app records (in key order within each few thousand of them)."""
    b = field_sync_base
    where = b.c.tenant_id == tenant_id
    if object is not None:
        where = where & (b.c.object == object)
    if crm_ids is not None:
        where = where & crm_ids.holds(b.c.crm_id)
    wheres = [where]
    if app_ids is not None:
        wheres = [where & within for within in ids_in(b.c.app_id, list(dict.fromkeys(app_ids)))] or [where & false()]
    with db.engine.connect() as conn:
        parts = [_read_fields(conn, w) for w in wheres]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _read_fields(conn: Connection, where: ColumnElement[bool]) -> pd.DataFrame:
    """The base rows of the pairs `where` picks, a row per field, as the server unfolds them."""
    b = field_sync_base
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        each = func.jsonb_each_text(b.c.field_values).table_valued("key", "value").lateral()
        micros = func.jsonb_extract_path_text(b.c.field_times, each.c.key)
    else:
        each = func.json_each(b.c.field_values).table_valued("key", "value")
        micros = func.json_extract(b.c.field_times, literal('$."') + type_coerce(each.c.key, String()) + literal('"'))
    field = type_coerce(each.c.key, String())
    statement: Select = (
        select(b.c.object, b.c.app_id, b.c.crm_id, field.label("field"),
               type_coerce(each.c.value, Text()).label("value"), cast(micros, BigInteger).label("micros"))
        .select_from(b.join(each, true())).where(where).order_by(b.c.object, b.c.app_id, b.c.crm_id, field))
    names = [*BASE_COLUMNS, "micros"]
    if postgres:
        frame = copied_frame(conn, statement, [String(), String(), String(), String(), Text(), BigInteger()], names)
    else:
        frame = pd.DataFrame(conn.execute(statement).all(), columns=names)
    out = pd.DataFrame({c: frame[c].astype("string") for c in BASE_COLUMNS}, index=pd.RangeIndex(len(frame)))
    micros_read = pd.array(frame["micros"].to_numpy(dtype=object), dtype="Int64")
    out["synced_at"] = pd.to_datetime(micros_read, unit="us", utc=True).astype("datetime64[us, UTC]")
    return out


def store_base(conn: Connection, tenant_id: str, rows: pd.DataFrame, at: datetime, *, new_records: bool = False) -> int:
    """Upsert `rows` (BASE_COLUMNS) as the tenant's base, stored at `at`, within the caller's
    transaction, so the base moves only together with the change that made both sides agree.
    `new_records`: the rows are of records just created (no base yet), so they are copied straight
    in, merged only if some exist after all. The number of field rows stored."""
    if rows.empty:
        return 0
    return write_base(conn, tenant_id, rows.loc[:, list(BASE_COLUMNS)].assign(synced_at=pd.Timestamp(at)),
                      new_records=new_records)


def write_base(conn: Connection, tenant_id: str, rows: pd.DataFrame, *, new_records: bool = False) -> int:
    """store_base with each row's own `synced_at` (BASE_COLUMNS and synced_at): a field named again
    takes the last of its rows; the fields of a pair a write does not name stay as they were."""
    if rows.empty:
        return 0
    frame = rows.loc[:, [*BASE_COLUMNS, "synced_at"]].drop_duplicates(list(BASE_KEYS[1:]), keep="last")
    frame = frame.reset_index(drop=True)
    unnamed = frame[["object", "app_id", "crm_id", "field"]].isna().any(axis=1)
    if unnamed.any():
        raise ValueError(f"tenant '{tenant_id}', field sync base: {int(unnamed.sum())} row(s) without an object, "
                         "app id, CRM id or field")
    micros = _micros(frame["synced_at"])
    if conn.dialect.name == "postgresql":
        pairs = _pair_texts(frame, micros).assign(tenant_id=tenant_id)
        upsert_frame(conn, _WRITTEN, pairs, list(PAIR_KEYS), context=f"tenant '{tenant_id}', field sync base",
                     likely_new=new_records, combine=_MERGED)
    else:
        upsert_frame(conn, field_sync_base, _merged_pairs(conn, tenant_id, frame, micros), list(PAIR_KEYS),
                     context=f"tenant '{tenant_id}', field sync base")
    return len(frame)


def _micros(times: pd.Series) -> pd.Series:
    """Each time as microseconds since the epoch (Int64, NA for none)."""
    stamps = pd.to_datetime(times, utc=True).astype("datetime64[us, UTC]")
    values = stamps.to_numpy(dtype="datetime64[us]").astype(np.int64)
    return pd.Series(pd.array(values, dtype="Int64")).mask(stamps.isna().to_numpy())


def _pair_texts(frame: pd.DataFrame, micros: pd.Series) -> pd.DataFrame:
    """A row per pair of `frame`'s field rows: its fields' values and times as JSON text, and the
    latest of the times, built a column at a time."""
    pair = _pair_codes(frame)
    first = np.unique(pair, return_index=True)[1]  # each pair's first row, in the order of its code
    time_text = pc.fill_null(pc.cast(pa.array(micros.array, type=pa.int64()), pa.large_string()),
                             pa.scalar("null", pa.large_string()))
    objects = json_objects(pair, frame["field"], json_strings(frame["value"]), time_text)
    assert objects is not None  # fields are named and unique within a pair (write_base)
    values, times = objects
    latest = frame["synced_at"].groupby(pair, sort=True).max()
    keys = frame[["object", "app_id", "crm_id"]].iloc[first].reset_index(drop=True)
    return keys.assign(field_values=pd.arrays.ArrowStringArray(pa.chunked_array([values])),
                       field_times=pd.arrays.ArrowStringArray(pa.chunked_array([times])),
                       synced_at=pd.to_datetime(latest.to_numpy(), utc=True))


def _pair_codes(frame: pd.DataFrame) -> np.ndarray:
    """Each row's pair as 0..n-1, numbered in the order pairs first appear: the three keys factorized
    one by one and their codes combined (a group-by over three text columns took most of a
    write's own time at two million rows)."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in ("object", "app_id", "crm_id"):
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        combined = combined * len(uniques) + codes
    return pd.factorize(combined)[0]


def _merged_pairs(conn: Connection, tenant_id: str, frame: pd.DataFrame, micros: pd.Series) -> pd.DataFrame:
    """SQLite (the embedded store): each pair `frame` names as stored with its fields merged in."""
    b = field_sync_base
    stored: dict[tuple[str, str, str], dict[str, Any]] = {}
    for app_object, ids in frame.groupby("object")["app_id"]:
        for within in ids_in(b.c.app_id, list(dict.fromkeys(ids.astype(str)))):
            found = conn.execute(select(b.c.object, b.c.app_id, b.c.crm_id, b.c.field_values, b.c.field_times)
                                 .where(and_(b.c.tenant_id == tenant_id, b.c.object == str(app_object), within)))
            for row in found:
                stored[(row.object, row.app_id, row.crm_id)] = {"values": dict(row.field_values),
                                                                "times": dict(row.field_times)}
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for pair, field, value, at in _field_rows(frame, micros):
        entry = merged.setdefault(pair, stored.get(pair) or {"values": {}, "times": {}})
        entry["values"][field] = value
        entry["times"][field] = at
    return pd.DataFrame([{"tenant_id": tenant_id, "object": o, "app_id": a, "crm_id": c,
                          "field_values": entry["values"], "field_times": entry["times"],
                          "synced_at": _latest(entry["times"])} for (o, a, c), entry in merged.items()])


def _field_rows(frame: pd.DataFrame,
                micros: pd.Series) -> Iterator[tuple[tuple[str, str, str], str, str | None, int | None]]:
    """(pair, field, value, microseconds) of each row, None for a missing value or time."""
    values = frame["value"].astype("string").astype(object)  # text, as the PostgreSQL write has it
    for o, a, c, field, value, at in zip(frame["object"].astype(str), frame["app_id"].astype(str),
                                         frame["crm_id"].astype(str), frame["field"].astype(str),
                                         values, micros.astype(object), strict=True):
        yield (o, a, c), field, (None if value is pd.NA else value), (None if at is pd.NA else int(at))


def _latest(times: dict[str, int | None]) -> datetime | None:
    known = [t for t in times.values() if t is not None]
    return _EPOCH + timedelta(microseconds=max(known)) if known else None


def pairs_stored_since(conn: Connection, tenant_id: str, object: str, since: datetime,
                       except_at: datetime | None) -> list[tuple[str, str]]:
    """(app id, CRM id) of the `object` pairs with a field stored at or after `since`, but for
    fields stored at exactly `except_at`."""
    since_us = (since.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    except_us = None if except_at is None else (except_at.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    if conn.dialect.name == "postgresql":
        fields = "SELECT (t.value #>> '{}')::bigint AS at FROM jsonb_each(b.field_times) t"
    else:
        fields = "SELECT CAST(t.value AS INTEGER) AS at FROM json_each(b.field_times) t"
    statement = text(
        "SELECT b.app_id, b.crm_id FROM field_sync_base b WHERE b.tenant_id = :tenant AND b.object = :object "
        "AND b.synced_at >= :since AND EXISTS (SELECT 1 FROM (" + fields + ") f "
        "WHERE f.at >= :since_us AND (CAST(:except_us AS BIGINT) IS NULL OR f.at <> :except_us))"
    ).bindparams(bindparam("since", type_=UtcDateTime()))
    rows = conn.execute(statement, {"tenant": tenant_id, "object": object, "since": since, "since_us": since_us,
                                    "except_us": except_us})
    return [(r[0], r[1]) for r in rows]
