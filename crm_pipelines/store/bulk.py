"""Bulk writes and reads of DataFrames, each backend on its fast path.

PostgreSQL gets COPY FROM STDIN (text format, built column-wise so a million rows need no Python
loop per row); SQLite gets one executemany inside the caller's transaction. Reads on PostgreSQL go
through COPY TO STDOUT (copy_reads); elsewhere, and for the few statements COPY does not read here,
through SQLAlchemy, so every column comes back in the type the table declares, then into typed
columns, the same frame either way.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import psycopg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    Select,
    Table,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from crm_pipelines.store.copy_reads import copied_column, copied_frame, copy_readable
from crm_pipelines.store.types import UtcDateTime
from crm_pipelines.store.upsert import upsert_statement

class FrameShapeError(ValueError):
    """A DataFrame that does not fit the table it is written to."""


def check_columns(df: pd.DataFrame, table: Table, *, context: str) -> list[str]:
    """The table columns to write, refusing frames with unknown or missing required columns."""
    table_cols = [c.name for c in table.columns]
    unknown = [c for c in df.columns if c not in table_cols]
    if unknown:
        raise FrameShapeError(
            f"{context}: columns {unknown} are not in table '{table.name}' (it has {table_cols})"
        )
    missing = [
        c.name
        for c in table.columns
        if c.name not in df.columns and not c.nullable and c.default is None and c.server_default is None
        and c is not table.autoincrement_column  # the database numbers these rows itself
    ]
    if missing:
        raise FrameShapeError(f"{context}: required columns {missing} of table '{table.name}' are missing")
    return [c for c in table_cols if c in df.columns]


def insert_frame(conn: Connection, table: Table, df: pd.DataFrame, *, context: str = "") -> int:
    """Insert every row of `df` into `table` within the caller's transaction; returns the row count."""
    columns = check_columns(df, table, context=context or f"insert into {table.name}")
    if df.empty:
        return 0
    if conn.dialect.name == "postgresql":
        return _copy_into(conn, table, df, columns)
    records = _records(df, columns)
    conn.execute(table.insert(), records)
    return len(records)


# Rows fetched, typed and released at a time: a read never holds the whole table as driver rows
# (a Python object per value, several times the typed frame's size) next to its typed frame.
READ_CHUNK_ROWS = 50_000


def read_frame(
    conn: Connection,
    table: Table,
    where: ColumnElement[bool] | None = None,
    *,
    order_by: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    chunk_rows: int = READ_CHUNK_ROWS,
) -> pd.DataFrame:
    """Rows of `table` (optionally filtered, optionally only `columns`) as a DataFrame typed by
    the table's columns. On PostgreSQL through COPY, parsed a block at a time (copy_reads);
    otherwise fetched `chunk_rows` at a time, each chunk typed before the next comes."""
    names = list(columns) if columns is not None else [c.name for c in table.columns]

    def statement(selected: Callable[[Column[Any]], ColumnElement[Any]]) -> Select:
        stmt = select(*[selected(table.c[name]) for name in names])
        if where is not None:
            stmt = stmt.where(where)
        return stmt.order_by(*[table.c[name] for name in order_by]) if order_by else stmt

    if conn.dialect.name == "postgresql":
        copied = statement(copied_column)
        if copy_readable(copied, conn):
            return copied_frame(conn, copied, [table.c[name].type for name in names], names)
    stmt = statement(lambda column: _fetched(column, conn.dialect.name))
    # The statement's option, not the connection's: Connection.execution_options changes the
    # connection itself, and a later write in the caller's transaction would go through a cursor.
    chunks = conn.execute(stmt.execution_options(yield_per=chunk_rows)).partitions()
    instants = [name for name in names if _as_instant(table.c[name], conn.dialect.name)]
    parts = [typed_frame(_instants_read(_raw_frame(rows, names), instants), table) for rows in chunks]
    if not parts:
        return typed_frame(pd.DataFrame(columns=names), table)
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _raw_frame(rows: Sequence[Sequence[Any]], names: list[str]) -> pd.DataFrame:
    """The driver's values, one object column each, for typed_frame to convert once. (from_records
    would first guess a type per column, turning text into Arrow strings typed_frame then converts
    again, and probes every SQLAlchemy Row for attributes it lacks, an exception per row.)"""
    return pd.DataFrame({name: pd.Series([row[i] for row in rows], dtype=object) for i, name in enumerate(names)},
                        index=pd.RangeIndex(len(rows)))


def _as_instant(column: Column, dialect: str) -> bool:
    return dialect == "postgresql" and isinstance(column.type, UtcDateTime)


def _fetched(column: Column, dialect: str) -> ColumnElement[Any]:
    """The column as selected. On PostgreSQL a timestamp comes back as microseconds since the
    epoch, which _instants_read turns into UTC times a column at a time: the decorator's one
    Python call per value, then pandas parsing aware datetime objects one by one, dominated
    reading the field sync base."""
    if _as_instant(column, dialect):
        return cast(func.extract("epoch", column) * 1_000_000, BigInteger).label(column.name)
    return column


def _instants_read(frame: pd.DataFrame, instants: Sequence[str]) -> pd.DataFrame:
    for name in instants:
        micros = pd.array(frame[name].to_numpy(dtype=object), dtype="Int64")
        frame[name] = pd.to_datetime(micros, unit="us", utc=True).astype("datetime64[us, UTC]")
    return frame


def typed_frame(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Give each column the pandas dtype that matches its SQL type, so frames compare equal
    whether they came from SQLite or PostgreSQL."""
    out = {}
    for col in df.columns:
        sql_type = table.c[col].type
        s = df[col]
        if isinstance(sql_type, UtcDateTime | DateTime):
            out[col] = pd.to_datetime(s, utc=True).astype("datetime64[us, UTC]")
        elif isinstance(sql_type, Boolean):
            out[col] = s.astype("boolean")
        elif isinstance(sql_type, Integer):
            out[col] = pd.to_numeric(s).astype("Int64")
        elif isinstance(sql_type, Float | Numeric):
            out[col] = pd.to_numeric(s).astype("float64")
        elif isinstance(sql_type, Date):
            out[col] = pd.to_datetime(s).astype("datetime64[us]")
        elif isinstance(sql_type, JSON):
            out[col] = s
        else:
            out[col] = s.astype("string")
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    # to_dict gives numpy/pandas scalars and NaN/NaT; the DB driver wants plain Python and None.
    frame = df[columns].astype(object).where(df[columns].notna(), None)
    return frame.to_dict("records")


# Rows turned into CSV and sent at a time within one COPY: the text of a large write (two million
# log rows of a first sync) is never all in memory at once.
COPY_CHUNK_ROWS = 100_000


def _copy_into(conn: Connection, table: Table, df: pd.DataFrame, columns: list[str]) -> int:
    """COPY the frame's rows in CSV, written by Arrow's C++ CSV writer (no Python loop per row),
    COPY_CHUNK_ROWS rows at a time into one COPY statement.

    Every non-null value is quoted and nulls are left bare, which is exactly how PostgreSQL's CSV
    format tells NULL from the empty string."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    dbapi_conn = conn.connection.dbapi_connection
    assert dbapi_conn is not None
    with dbapi_conn.cursor() as cur:
        with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy:
            for start in range(0, len(df), COPY_CHUNK_ROWS):
                copy.write(_csv_rows(df.iloc[start:start + COPY_CHUNK_ROWS], table, columns))
    return len(df)


def _csv_rows(df: pd.DataFrame, table: Table, columns: list[str]) -> bytes:
    frame = pd.DataFrame({name: _copy_column(df[name], table.c[name].type) for name in columns})
    buffer = io.BytesIO()
    # One chunk per column: Arrow's CSV writer (26.0) writes NUL bytes for a chunked string column
    # whose first chunk is empty, which is what pandas leaves after concatenating onto an empty frame.
    arrow = pa.Table.from_pandas(frame, preserve_index=False).combine_chunks()
    pa_csv.write_csv(
        pa.table([_as_copy_text(arrow.column(i)) for i in range(arrow.num_columns)], names=arrow.column_names), buffer,
        pa_csv.WriteOptions(include_header=False, quoting_style="all_valid"),
    )
    return buffer.getvalue()


def _as_copy_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times written as text by Arrow's cast, in C++: the CSV writer formats a zoned timestamp
    through its time zone value by value, some ten times slower. A zoned column is in UTC here
    (_copy_column), so its wall time with `+00` is the same instant; a date column is its day."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        wall = pc.cast(column.cast(pa.timestamp(column.type.unit)), pa.string())
        return pc.binary_join_element_wise(wall, pa.scalar("+00"), "")
    if pa.types.is_timestamp(column.type):
        return pc.cast(column.cast(pa.date32()), pa.string())
    return column


def _copy_column(s: pd.Series, sql_type: Any) -> pd.Series:
    """A column in a form Arrow writes and PostgreSQL reads back as the same value."""
    if isinstance(sql_type, UtcDateTime | DateTime):
        stamps = pd.to_datetime(s)
        if stamps.dt.tz is None and stamps.notna().any():
            raise ValueError(f"naive datetimes in column '{s.name}' refused: timestamps must carry a time zone")
        return stamps.dt.tz_convert("UTC") if stamps.dt.tz is not None else stamps.astype("datetime64[us, UTC]")
    if isinstance(sql_type, Date):
        days = pd.to_datetime(s)  # its day as written in its own zone, if it has one
        return (days.dt.tz_localize(None) if days.dt.tz is not None else days).astype("datetime64[us]")
    if isinstance(sql_type, Boolean):
        return s.astype("boolean")
    if isinstance(sql_type, Integer):
        return pd.to_numeric(s).astype("Int64")
    if isinstance(sql_type, Float | Numeric):
        return pd.to_numeric(s).astype("float64")
    if isinstance(sql_type, JSON):
        return s.map(lambda v: orjson.dumps(v, default=str).decode(), na_action="ignore").astype("string")
    return s.astype("string")


def upsert_frame(
    conn: Connection, table: Table, df: pd.DataFrame, keys: Sequence[str], *, context: str = "", likely_new: bool = False,
    update: Sequence[str] | None = None, combine: Mapping[str, str] | None = None,
) -> int:
    """Insert or replace rows of `df` by `keys`, within the caller's transaction; with `update`,
    a row already there takes only those columns from `df` and keeps its others. `combine`
    (PostgreSQL only): the SQL a row already there sets a column to instead, from its own value
    ("<table>"."<column>") and the proposed one (EXCLUDED."<column>").

    PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT; when the
    rows are `likely_new` (a first full sync), COPY straight into the table and fall back to the
    upsert only if some row already exists. SQLite: one executemany of INSERT ... ON CONFLICT.
    """
    columns = check_columns(df, table, context=context or f"upsert into {table.name}")
    if df.empty:
        return 0
    if combine and conn.dialect.name != "postgresql":
        raise ValueError(f"upsert into {table.name}: combining stored and proposed values is PostgreSQL's only")
    if conn.dialect.name != "postgresql":
        chosen = None if update is None else (lambda excluded: {c: excluded[c] for c in update})
        conn.execute(upsert_statement(conn, table, keys, update=chosen), _records(df, columns))
        return len(df)
    if likely_new:
        try:
            with conn.begin_nested():
                return _copy_into(conn, table, df, columns)
        except (IntegrityError, psycopg.errors.UniqueViolation):
            pass  # some rows were there already (a resumed sync): upsert them all below
    staging = f"staging_{table.name}"
    conn.execute(text(f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" (LIKE "{table.name}") ON COMMIT DELETE ROWS'))
    staging_table = Table(staging, MetaData(), *[Column(c.name, c.type) for c in table.columns])
    _copy_into(conn, staging_table, df, columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = ' + (combine or {}).get(c, f'EXCLUDED."{c}"')
                        for c in (columns if update is None else update) if c not in keys)
    conflict = ", ".join(f'"{k}"' for k in keys)
    conn.execute(
        text(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{staging}" '
            f"ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
        )
    )
    conn.execute(text(f'DELETE FROM "{staging}"'))
    return len(df)
