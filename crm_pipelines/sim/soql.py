"""SOQL text to a validated Query: the grammar in soql.lark, checked against the simulator's schema.

parse() resolves object and field names case-insensitively to Salesforce's spelling, decodes every
literal and checks it against its field's type, and otherwise raises SoqlError with the errorCode
and message wording Salesforce uses, so a client sees the same failure here as against a real org.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import pandas as pd
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from crm_pipelines.sim import ids, schema
from crm_pipelines.sim.schema import FieldSpec, SObjectSchema

# A literal's value: str, float, bool, None, pandas.Timestamp in UTC (dateTime) or datetime.date.
Value = Union[str, float, bool, None, pd.Timestamp, dt.date]

TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist"})
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})

MAX_OFFSET = 2000


class SoqlError(Exception):
    """A query Salesforce would refuse; error_code and message go into the REST error body."""

    status_code = 400

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str  # one of = != < <= > >= ("<>" is read as "!=")
    value: Value


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    field: str
    # SQL LIKE with backslash escapes: bare % and _ are wildcards; \%, \_ and \\ are literal.
    pattern: str


@dataclass(frozen=True)
class And:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    condition: Condition


Condition = Union[Comparison, InList, Like, And, Or, Not]


@dataclass(frozen=True)
class Query:
    sobject: str
    fields: tuple[str, ...]
    count_only: bool
    where: Condition | None
    order_by: tuple[tuple[str, bool, str], ...]  # (field, ascending, "first" | "last" for nulls)
    limit: int | None
    offset: int | None


def parse(text: str) -> Query:
    """The Query for SOQL `text`, or SoqlError as Salesforce words it."""
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Query:
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    return _QueryBuilder(text).build(tree)


_PARSER = Lark(
    Path(__file__).with_name("soql.lark").read_text(encoding="utf-8"),
    parser="lalr",
    lexer="basic",
    maybe_placeholders=False,
)

_NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
_UNSUPPORTED_SOBJECT = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure "
    "to append the '__c' after the entity name. Please reference your WSDL or the describe call "
    "for the appropriate names."
)
_UNKNOWN_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
    "relationship, be sure to append the '__r' after the custom relationship name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)

# The type names Salesforce uses in "value of filter criterion ... must be of type X".
_CRITERION_TYPE = {
    "id": "id", "reference": "id", "boolean": "boolean", "datetime": "dateTime", "date": "date",
    "double": "double", "currency": "double", "percent": "double", "int": "integer",
    **{t: "string" for t in TEXT_TYPES},
}

_SIMPLE_ESCAPES = {
    "n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b", "B": "\b",
    "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\",
}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_NON_NEGATIVE_INTEGER = re.compile(r"\d+")


def located(text: str, row: int, column: int, detail: str) -> str:
    """Salesforce's positioned message: the query line, a caret under the column, the detail."""
    lines = text.split("\n")
    line = lines[row - 1].rstrip("\r") if 0 < row <= len(lines) else ""
    caret = " " * (column - 1) + "^"
    return f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{detail}"


def _syntax_error(text: str, exc: UnexpectedInput) -> SoqlError:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        row, column = _end_position(text)
        return SoqlError("MALFORMED_QUERY", located(text, row, column, "unexpected token: '<EOF>'"))
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        return SoqlError(
            "MALFORMED_QUERY",
            located(text, token.line, token.column, f"unexpected token: '{token.value}'"),
        )
    if isinstance(exc, UnexpectedCharacters):
        word = _word_at(text, exc.pos_in_stream)
        return SoqlError(
            "MALFORMED_QUERY", located(text, exc.line, exc.column, f"unexpected token: '{word}'")
        )
    return SoqlError("MALFORMED_QUERY", located(text, exc.line, exc.column, "unexpected token"))


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1].rstrip("\r")) + 1


def _word_at(text: str, pos: int) -> str:
    """The text a person would call the bad token: a word, an unclosed string, or one character."""
    if text[pos] == "'":
        return text[pos:].split("\n", 1)[0]
    word = re.match(r"\w+", text[pos:])
    return word.group(0) if word else text[pos]


class _QueryBuilder:
    """Walks the parse tree of one query, resolving names and literals against the schema."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sobject: SObjectSchema | None = None

    def error(self, code: str, token: Token, detail: str) -> SoqlError:
        return SoqlError(code, located(self.text, token.line, token.column, detail))

    def build(self, tree: Tree) -> Query:
        select_list, object_token, *clauses = tree.children
        # Salesforce resolves FROM before the field list, so an unknown object wins over bad fields.
        try:
            self.sobject = schema.sobject(str(object_token))
        except KeyError:
            raise self.error(
                "INVALID_TYPE", object_token, _UNSUPPORTED_SOBJECT.format(name=object_token)
            ) from None
        count_only = select_list.data == "count_all"
        fields = () if count_only else self.select_fields(select_list)
        where: Condition | None = None
        order_by: tuple[tuple[str, bool, str], ...] = ()
        limit: int | None = None
        offset: int | None = None
        for clause in clauses:
            if clause.data == "where_clause":
                where = self.condition(clause.children[0])
            elif clause.data == "order_by_clause":
                order_by = tuple(self.order_item(item) for item in clause.children)
            elif clause.data == "limit_clause":
                limit = self.count_literal(clause.children[0])
            else:
                offset = self.count_literal(clause.children[0])
                if offset > MAX_OFFSET:
                    raise SoqlError(
                        "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
                    )
        return Query(self.sobject.name, fields, count_only, where, order_by, limit, offset)

    def select_fields(self, select_list: Tree) -> tuple[str, ...]:
        names: list[str] = []
        for path in select_list.children:
            spec, token = self.field(path)
            if spec.name in names:
                raise self.error(
                    "MALFORMED_QUERY", token, f"duplicate field selected: {spec.name}"
                )
            names.append(spec.name)
        return tuple(names)

    def field(self, path: Tree) -> tuple[FieldSpec, Token]:
        assert self.sobject is not None
        first: Token = path.children[0]
        if len(path.children) > 1:
            raise self.error("INVALID_FIELD", first, _UNKNOWN_RELATIONSHIP.format(name=first))
        if not self.sobject.has_field(first):
            raise self.error(
                "INVALID_FIELD", first,
                _NO_SUCH_COLUMN.format(name=first, sobject=self.sobject.name),
            )
        return self.sobject.field(first), first

    def filterable_field(self, path: Tree) -> tuple[FieldSpec, Token]:
        spec, token = self.field(path)
        if not spec.filterable:
            raise self.error(
                "INVALID_FIELD", token, f"field '{spec.name}' can not be filtered in a query call"
            )
        return spec, token

    def condition(self, node: Tree) -> Condition:
        kind = node.data
        if kind == "and_condition":
            return And(tuple(self.condition(child) for child in node.children))
        if kind == "or_condition":
            return Or(tuple(self.condition(child) for child in node.children))
        if kind == "not_condition":
            return Not(self.condition(node.children[0]))
        if kind == "comparison":
            path, operator, value = node.children
            spec, _ = self.filterable_field(path)
            op = "!=" if operator == "<>" else str(operator)
            return Comparison(spec.name, op, self.filter_value(spec, value))
        if kind in ("in_list", "not_in_list"):
            path, value_list = node.children
            spec, _ = self.filterable_field(path)
            values = tuple(self.filter_value(spec, value) for value in value_list.children)
            return InList(spec.name, values, negated=kind == "not_in_list")
        if kind == "like":
            path, value = node.children
            spec, token = self.filterable_field(path)
            if spec.sf_type not in TEXT_TYPES:
                raise self.error(
                    "INVALID_QUERY_FILTER_OPERATOR", token,
                    f"invalid operator on {spec.sf_type} field",
                )
            literal: Token = value.children[0]
            if literal.type != "STRING":
                raise self.type_error(spec, literal)
            return Like(spec.name, _decode_string(self, literal, like=True))
        raise AssertionError(f"grammar rule {kind} has no meaning in the query builder")

    def filter_value(self, spec: FieldSpec, value: Tree) -> Value:
        """The literal compared with `spec`, of the kind the field's type needs."""
        literal: Token = value.children[0]
        kind = literal.type
        if kind == "NULL":
            return None
        sf_type = spec.sf_type
        if sf_type in TEXT_TYPES or sf_type in ID_TYPES:
            if kind != "STRING":
                raise self.type_error(spec, literal)
            text = _decode_string(self, literal, like=False)
            # Salesforce stores no empty strings, so '' in a filter means null.
            if text == "":
                return None
            if sf_type in ID_TYPES:
                if not ids.is_valid_id(text):
                    raise self.error(
                        "INVALID_QUERY_FILTER_OPERATOR", literal, f"invalid ID field: {text}"
                    )
                return ids.to_18(text)
            return text
        expected = {
            "boolean": ("TRUE", "FALSE"), "datetime": ("DATETIME",), "date": ("DATE",),
        }.get(sf_type, ("NUMBER",))
        if kind not in expected:
            raise self.type_error(spec, literal)
        if kind in ("TRUE", "FALSE"):
            return kind == "TRUE"
        if kind == "DATETIME":
            return self.datetime_literal(literal)
        if kind == "DATE":
            return self.date_literal(literal)
        return float(literal)

    def type_error(self, spec: FieldSpec, literal: Token) -> SoqlError:
        expected = _CRITERION_TYPE[spec.sf_type]
        quoting = "should be enclosed in quotes" if expected in ("string", "id") else (
            "should not be enclosed in quotes"
        )
        return self.error(
            "INVALID_FIELD", literal,
            f"value of filter criterion for field '{spec.name}' must be of type {expected} "
            f"and {quoting}",
        )

    def datetime_literal(self, literal: Token) -> pd.Timestamp:
        try:
            return pd.Timestamp(str(literal)).tz_convert("UTC")
        except ValueError:
            raise self.error("MALFORMED_QUERY", literal, f"invalid dateTime: {literal}") from None

    def date_literal(self, literal: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(literal))
        except ValueError:
            raise self.error("MALFORMED_QUERY", literal, f"invalid date: {literal}") from None

    def count_literal(self, literal: Token) -> int:
        if not _NON_NEGATIVE_INTEGER.fullmatch(literal):
            raise self.error("MALFORMED_QUERY", literal, f"unexpected token: '{literal}'")
        return int(literal)

    def order_item(self, item: Tree) -> tuple[str, bool, str]:
        path, *modifiers = item.children
        spec, token = self.field(path)
        if spec.sf_type == "textarea":
            raise self.error(
                "INVALID_FIELD", token, f"field '{spec.name}' can not be sorted in a query call"
            )
        words = {m.type for m in modifiers}
        ascending = "DESC" not in words
        # Salesforce's defaults: ascending puts nulls first, descending puts them last.
        if "FIRST" in words:
            nulls = "first"
        elif "LAST" in words:
            nulls = "last"
        else:
            nulls = "first" if ascending else "last"
        return spec.name, ascending, nulls


def _decode_string(builder: _QueryBuilder, literal: Token, *, like: bool) -> str:
    """The text of a quoted literal; for LIKE, in the escaped form `Like.pattern` documents."""
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code in _SIMPLE_ESCAPES:
            decoded = _SIMPLE_ESCAPES[code]
            i += 2
        elif code == "u" and _HEX4.fullmatch(body, i + 2, i + 6):
            decoded = chr(int(body[i + 2 : i + 6], 16))
            i += 6
        elif like and code in "%_":
            out.append("\\" + code)
            i += 2
            continue
        else:
            raise builder.error(
                "MALFORMED_QUERY", literal,
                f"Invalid string literal '{body}'. Illegal character sequence '\\{code}' in "
                "string literal.",
            )
        out.append("\\" + decoded if like and decoded in "%_\\" else decoded)
    return "".join(out)
