"""Turning a page of CRM records into warehouse rows: typed columns, rejects, the cursor (E2, E3, E6).

Pure and vectorized: a page is converted column by column; a record that cannot be converted
(no Id, a date that is not a date, a flag that is not a flag) is set aside with the reason and
its raw form, never dropped silently and never allowed to stop the rest of the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_pipelines.core.crm_objects import CrmField, ExtractedObject

# Salesforce's 15 or 18 characters, or the whole number another CRM (Insightly) numbers its records by.
_ID = re.compile(r"^(?:[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?|[1-9][0-9]{0,18})$")


@dataclass(frozen=True)
class Cursor:
    """The last (SystemModstamp, Id) durably written for an object."""

    modstamp: datetime
    record_id: str


@dataclass(frozen=True)
class Rejected:
    record_id: str | None
    reason: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Page:
    rows: pd.DataFrame
    rejected: list[Rejected]
    cursor: Cursor | None


class ArrowRecords(Sequence[dict[str, Any]]):
    """A page of records held as one Arrow table whose columns already hold a REST answer's value
    types (text, bool, float; null for a missing value), as a Bulk read's CSV is parsed. It reads as
    the records themselves, but `convert_page` takes its columns as they are, with no Python object
    per value in between."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return self.table.to_pylist()[index]
        if index < 0:
            index += self.table.num_rows
        if not 0 <= index < self.table.num_rows:
            raise IndexError(index)
        return self.table.slice(index, 1).to_pylist()[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.table.to_pylist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def column(self, name: str) -> list[Any]:
        """One field's values, None throughout when the page lacks it."""
        if name in self.table.column_names:
            return self.table.column(name).to_pylist()
        return [None] * self.table.num_rows


def convert_page(records: Sequence[dict[str, Any]], obj: ExtractedObject, mapped_fields: Sequence[str] = ()) -> Page:
    """Warehouse rows (snake_case columns, typed) for `records` of `obj`, plus rejects and the
    cursor after this page. `mapped_fields` are extra CRM fields kept in `mapped_fields`."""
    if not records:
        return Page(_empty_rows(obj), [], None)
    extras = _extras(records, mapped_fields) if mapped_fields else None
    rows = _well_formed_rows(records, obj)
    rejected: list[Rejected] = []
    if rows is None:  # some value is not what its field needs: the slow path finds and explains it
        rows, keep, rejected = _checked_rows(list(records), obj)
        if extras is not None:
            extras = [extra for extra, kept in zip(extras, keep, strict=True) if kept]
    if not obj.soft_deletes:
        rows["is_deleted"] = False
    rows["is_deleted"] = rows["is_deleted"].fillna(False).astype(bool)
    rows["deleted_at"] = rows["system_modstamp"].where(rows["is_deleted"])
    rows["mapped_fields"] = pd.Series(extras, index=rows.index, dtype=object) if extras is not None else None
    return Page(rows, rejected, _cursor_of(rows))


def _extras(records: Sequence[dict[str, Any]], mapped_fields: Sequence[str]) -> list[dict[str, Any]]:
    """Each record's `mapped_fields` (None where it lacks one)."""
    if isinstance(records, ArrowRecords):
        columns = [records.column(name) for name in mapped_fields]
        return [dict(zip(mapped_fields, values, strict=True)) for values in zip(*columns, strict=True)]
    return [{name: record.get(name) for name in mapped_fields} for record in records]


def _arrow_table(records: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """The page as a table of `schema`: the records' own table when they come as one, a field the
    page lacks null throughout, as `Table.from_pylist` gives for records that lack it."""
    if not isinstance(records, ArrowRecords):
        return pa.Table.from_pylist(list(records), schema=schema)
    table = records.table
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _well_formed_rows(records: Sequence[dict[str, Any]], obj: ExtractedObject) -> pd.DataFrame | None:
    """The page converted by Arrow in C++, when every value has its field's type (the usual case);
    None as soon as one does not."""
    schema = pa.schema([(f.name, _ARROW_TYPE[f.kind]) for f in obj.fields])
    try:
        table = _arrow_table(records, schema)
        ids = table.column("Id")
        if ids.null_count or not pc.all(pc.match_substring_regex(ids, _ID.pattern)).as_py():
            return None
        columns = []
        for field in obj.fields:
            column = table.column(field.name)
            if field.kind == "datetime":
                column = pc.cast(column, pa.timestamp("us", tz="UTC"))
            elif field.kind == "date":
                column = pc.cast(pc.cast(column, pa.date32()), pa.timestamp("us"))
            elif field.kind == "int":
                if not pc.all(pc.equal(column, pc.floor(column))).as_py() in (True, None):
                    return None
                column = pc.cast(column, pa.int64())
            columns.append(column)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    converted = pa.table(columns, names=[f.column for f in obj.fields])
    return converted.to_pandas(types_mapper=_PANDAS_TYPES.get)


def _checked_rows(records: Sequence[dict[str, Any]], obj: ExtractedObject) -> tuple[pd.DataFrame, np.ndarray, list[Rejected]]:
    """Value by value: the rows that convert, which records they are, and the rest with reasons."""
    raw = pd.DataFrame.from_records(records, columns=obj.field_names())
    bad = pd.Series("", index=raw.index, dtype=object)
    ids = raw["Id"]
    id_text, id_not_text = _as_text(ids)
    id_ok = (~id_not_text & id_text.str.fullmatch(_ID.pattern).fillna(False)).astype(bool)
    bad = bad.where(id_ok, "Id is missing or not a Salesforce id")
    columns: dict[str, pd.Series] = {}
    for field in obj.fields:
        converted, failed = _convert(raw[field.name], field)
        bad = bad.where(~failed | (bad != ""), f"{field.name} = {{value}} is not a valid {field.kind}")
        columns[field.column] = converted
    rows = pd.DataFrame(columns)
    keep = (bad == "").to_numpy()
    rejected = [
        Rejected(
            record_id=ids.iat[i] if isinstance(ids.iat[i], str) else None,
            reason=_explain(bad.iat[i], raw.iloc[i], obj),
            raw={k: v for k, v in records[i].items() if k != "attributes"},
        )
        for i in np.flatnonzero(~keep)
    ]
    return rows.loc[keep].reset_index(drop=True), keep, rejected


def _convert(values: pd.Series, field: CrmField) -> tuple[pd.Series, pd.Series]:
    """(converted column, mask of values present but not convertible)."""
    present = values.notna()
    if field.kind == "datetime":
        out = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
        return out.astype("datetime64[us, UTC]"), present & out.isna()
    if field.kind == "date":
        out = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        return out.astype("datetime64[us]"), present & out.isna()
    if field.kind == "bool":
        if _inferred(values) == "boolean":
            return values.astype("boolean"), pd.Series(False, index=values.index)
        is_bool = values.map(lambda v: isinstance(v, bool))
        return values.where(is_bool).astype("boolean"), present & ~is_bool
    if field.kind in ("float", "int"):
        if _inferred(values) in ("integer", "floating", "mixed-integer-float", "empty"):
            out = pd.to_numeric(values).astype("float64")
            not_number = pd.Series(False, index=values.index)
        else:
            is_number = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
            out = pd.to_numeric(values.where(is_number), errors="coerce").astype("float64")
            not_number = present & ~is_number
        if field.kind == "int":
            whole = out.isna() | (out == np.floor(out))
            return out.where(whole).astype("Int64"), not_number | ~whole
        return out, not_number
    return _as_text(values)


_PANDAS_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype()}
_ARROW_TYPE = {"id": pa.string(), "string": pa.string(), "bool": pa.bool_(), "float": pa.float64(),
               "int": pa.float64(), "datetime": pa.string(), "date": pa.string()}


def _inferred(values: pd.Series) -> str:
    """pandas' C-level guess of what a column holds, ignoring missing values."""
    return pd.api.types.infer_dtype(values, skipna=True)


def _as_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if _inferred(values) in ("string", "empty"):
        return values.astype("string"), pd.Series(False, index=values.index)
    is_text = values.map(lambda v: isinstance(v, str))
    return values.where(is_text).astype("string"), values.notna() & ~is_text


def _explain(template: str, record: pd.Series, obj: ExtractedObject) -> str:
    for field in obj.fields:
        if template.startswith(f"{field.name} = "):
            return template.replace("{value}", repr(record[field.name])[:80]) + f" ({obj.name})"
    return f"{template} ({obj.name})"


def _cursor_of(rows: pd.DataFrame) -> Cursor | None:
    stamped = rows.dropna(subset=["system_modstamp"])
    if stamped.empty:
        return None
    last = stamped.sort_values(["system_modstamp", "id"]).iloc[-1]
    return Cursor(last["system_modstamp"].to_pydatetime(), str(last["id"]))


def _empty_rows(obj: ExtractedObject) -> pd.DataFrame:
    return pd.DataFrame(columns=[*(f.column for f in obj.fields), "deleted_at", "mapped_fields"])


def later(a: Cursor | None, b: Cursor | None) -> Cursor | None:
    """The later of two cursors, by (modstamp, id)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda c: (c.modstamp, c.record_id))


def extra_fields_to_read(mapped_crm_fields: Sequence[str], obj: ExtractedObject, always: Sequence[str] = ()) -> list[str]:
    """Fields beyond the standard ones that this tenant needs of `obj` (E6): the mapped fields the
    catalogue does not already read, plus `always` (the integration's own external id)."""
    standard = {name.lower() for name in obj.field_names()}
    seen: dict[str, str] = {}
    for name in [*mapped_crm_fields, *always]:
        if name.lower() not in standard:
            seen.setdefault(name.lower(), name)
    return list(seen.values())


@dataclass(frozen=True)
class DescribedFields:
    present: list[str]
    missing: list[str]
    labels: dict[str, str]


def check_against_describe(wanted: Sequence[str], described: Sequence[Mapping[str, Any]], *,
                           required: Sequence[str] = ()) -> DescribedFields:
    """Which wanted fields the org really has (spelled as the org spells them), which it lacks,
    and the labels of the custom ones (E6, E7). `described`: the org's fields ({name, label, custom})."""
    by_lower = {f["name"].lower(): f for f in described}
    present, missing, labels = [], [], {}
    for name in wanted:
        spec = by_lower.get(name.lower())
        if spec is None:
            if name not in required:
                missing.append(name)
            continue
        present.append(spec["name"])
        if spec.get("custom"):
            labels[spec["name"]] = str(spec.get("label", spec["name"]))
    return DescribedFields(present, missing, labels)
