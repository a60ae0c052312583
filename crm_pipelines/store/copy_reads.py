"""PostgreSQL reads through `COPY (SELECT ...) TO STDOUT` in CSV, parsed by Arrow's CSV reader.

The driver's rows were most of the time of a large read (issue 17): psycopg makes a Python object
of every value, pandas then turns each text back into Arrow. Here the server writes CSV, Arrow's
C++ reader parses it a block at a time straight into typed columns, and only JSON values become
Python objects (as the driver makes them). A read of the 600,000 Contacts of `large` took 8.3 s
through the driver's rows and 3.4 s here, every column; 1.7 and 0.7 s, the six that place a person.

What it gives is what bulk.typed_frame gives for the driver's rows: the same dtypes, values and
nulls. PostgreSQL's CSV tells NULL (nothing) from the empty string (`""`); Arrow is told the same.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Connection, Date, DateTime, Float, Integer, Numeric, Select, String, func,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.engine import Compiled
from sqlalchemy.types import TypeEngine

from crm_pipelines.store.types import UtcDateTime

# Arrow parses (and so holds as text) this much of the CSV at a time.
BLOCK_BYTES = 8 << 20


def copied_column(column: Column[Any]) -> ColumnElement[Any]:
    """A table column as a COPY read selects it: a UtcDateTime as its UTC wall time (PostgreSQL
    writes `2026-06-01 12:34:56.123456`, whatever the session's time zone), which Arrow parses in
    C++; the epoch's microseconds (bulk._fetched) cost the server a numeric computation a value,
    most of its time on a read of five times a row."""
    if isinstance(column.type, UtcDateTime):
        return func.timezone("UTC", column, type_=DateTime()).label(column.name)
    return column


def arrow_type(sql_type: TypeEngine[Any]) -> pa.DataType | None:
    """The Arrow type a selected column's CSV text is parsed as; None for a type not read this
    way (bytes, a time zone's time not selected by copied_column)."""
    if isinstance(sql_type, UtcDateTime):
        return None
    if isinstance(sql_type, DateTime):
        return None if sql_type.timezone else pa.timestamp("us")
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Integer | BigInteger):
        return pa.int64()
    if isinstance(sql_type, Float | Numeric):
        return pa.float64()
    if isinstance(sql_type, Date):
        return pa.date32()
    if isinstance(sql_type, JSON | String):  # Text is a String
        return pa.string()
    return None


def copy_readable(statement: Select, conn: Connection) -> bool:
    """Whether `statement` can be read through COPY: every column of a type parsed here, and no list
    of values SQLAlchemy must convert one by one (a list of times; those reads take SQLAlchemy's rows)."""
    if any(arrow_type(column.type) is None for column in statement.selected_columns):
        return False
    compiled = statement.compile(dialect=conn.dialect)
    return not any(bind.expanding and bind.type.bind_processor(conn.dialect) is not None
                   for bind in compiled.binds.values())


def _copied_table(conn: Connection, statement: Select) -> pa.Table:
    """The rows of `statement` as an Arrow table, a column per selected column, parsed as arrow_type
    says (a UtcDateTime, selected by copied_column, as a time without zone). Within the caller's
    transaction, if it has one."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    columns = list(statement.selected_columns)
    names = [f"c{i}" for i in range(len(columns))]  # a label may repeat; Arrow's names need not mean anything
    types = {name: arrow_type(column.type) for name, column in zip(names, columns, strict=True)}
    unread = [column.name for column, kind in zip(columns, types.values(), strict=True) if kind is None]
    if unread:
        raise TypeError(f"columns {unread} are of a type not read through COPY (copy_readable)")
    schema = pa.schema(list(types.items()))
    dbapi_conn = conn.connection.dbapi_connection
    assert dbapi_conn is not None
    with dbapi_conn.cursor() as cursor:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", _bound(compiled, conn)) as copy:
            blocks = iter(copy)
            first = next(blocks, None)
            if first is None:  # Arrow refuses an empty file
                return schema.empty_table()
            reader = pa_csv.open_csv(
                _CopyStream(itertools.chain([first], blocks)),
                read_options=pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, use_threads=False),
                # A row of one NULL is an empty line: a row, never a blank line to skip.
                parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
                    true_values=["t"], false_values=["f"]),
            )
            batches = list(reader)
    return pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()


def copied_frame(conn: Connection, statement: Select, sql_types: Sequence[TypeEngine[Any]],
                 names: Sequence[str]) -> pd.DataFrame:
    """The rows of `statement` as bulk.typed_frame types them: column i named names[i], of the
    table's type sql_types[i] (a UtcDateTime selected by copied_column)."""
    table = _copied_table(conn, statement)
    return pd.DataFrame({name: _typed_column(table.column(i), sql_type)
                         for i, (name, sql_type) in enumerate(zip(names, sql_types, strict=True))},
                        index=pd.RangeIndex(table.num_rows))


def _bound(compiled: Compiled, conn: Connection) -> dict[str, Any]:
    """The statement's bound values as the driver must get them: a time through UtcDateTime's own
    conversion (an aware UTC time), as SQLAlchemy would convert it."""
    params = dict(compiled.params)
    for key, bind in compiled.binds.items():
        process = bind.type.bind_processor(conn.dialect)
        if process is not None and key in params:
            params[key] = process(params[key])
    return params


def _typed_column(column: pa.ChunkedArray, sql_type: TypeEngine[Any]) -> pd.Series:
    """A column of _copied_table as bulk.typed_frame types a column of the table's `sql_type`."""
    if isinstance(sql_type, UtcDateTime):  # its UTC wall time (copied_column), as the instant it is
        stamps = pc.cast(column, pa.timestamp("us", tz="UTC"))
        return pd.Series(stamps.to_pandas(), dtype="datetime64[us, UTC]").reset_index(drop=True)
    if isinstance(sql_type, Boolean):
        return pd.Series(pd.BooleanDtype().__from_arrow__(column))
    if isinstance(sql_type, Integer | BigInteger):
        return pd.Series(pd.Int64Dtype().__from_arrow__(column))
    if isinstance(sql_type, Float | Numeric):
        return pd.Series(column.to_numpy(), dtype="float64")
    if isinstance(sql_type, Date):
        return pd.Series(column.to_pandas(), dtype="datetime64[us]").reset_index(drop=True)
    if isinstance(sql_type, JSON):
        # As the driver loads JSON: json.loads, NULL as None.
        return pd.Series([None if text is None else json.loads(text) for text in column.to_pylist()], dtype=object)
    return pd.Series(pd.StringDtype().__from_arrow__(column))


class _CopyStream(io.RawIOBase):
    """The blocks COPY sends, as a file Arrow reads."""

    def __init__(self, blocks: Iterator[Any]) -> None:
        self._blocks = blocks
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Filled as far as the blocks go: COPY sends a row a block, and Arrow asks for megabytes.
        into = memoryview(buffer).cast("B")
        wanted = len(into)
        filled = len(self._left)
        if filled >= wanted:
            into[:] = self._left[:wanted]
            self._left = self._left[wanted:]
            return wanted
        into[:filled] = self._left
        self._left = memoryview(b"")
        blocks = self._blocks
        for block in blocks:
            end = filled + len(block)
            if end > wanted:
                into[filled:] = block[:wanted - filled]
                self._left = block[wanted - filled:]
                return wanted
            into[filled:end] = block
            filled = end
        return filled
