"""Bulk API 1.0's wire forms: job and batch info, result lists and errors, in XML (the
`http://www.force.com/2009/06/asyncapi/dataload` namespace) or JSON, and request bodies read from
either."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import orjson

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
XML_CONTENT_TYPE = "application/xml"
JSON_CONTENT_TYPE = "application/json"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def wants_json(content_type: str | None) -> bool:
    return "json" in (content_type or "").lower()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _elements(fields: dict[str, Any]) -> str:
    return "".join(f"<{name}>{_text(value)}</{name}>" for name, value in fields.items()
                   if value is not None)


def element(root: str, fields: dict[str, Any]) -> str:
    return f"<{root}>{_elements(fields)}</{root}>"


def document(root: str, inner: str) -> bytes:
    return f'{_DECLARATION}<{root} xmlns="{NAMESPACE}">{inner}</{root}>'.encode()


def info_xml(root: str, fields: dict[str, Any]) -> bytes:
    return document(root, _elements(fields))


def list_xml(root: str, item: str, items: Iterable[dict[str, Any]]) -> bytes:
    return document(root, "".join(element(item, fields) for fields in items))


def result_list_xml(result_ids: Iterable[str]) -> bytes:
    return document("result-list", "".join(f"<result>{_text(i)}</result>" for i in result_ids))


def error_xml(code: str, message: str) -> bytes:
    return info_xml("error", {"exceptionCode": code, "exceptionMessage": message})


def error_json(code: str, message: str) -> bytes:
    return orjson.dumps({"exceptionCode": code, "exceptionMessage": message})


class BodyError(ValueError):
    pass


def read_fields(body: bytes, as_json: bool) -> dict[str, str]:
    """The top-level fields of a jobInfo request body, from XML or JSON."""
    if as_json:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BodyError(f"Unable to parse the JSON request body: {exc}") from None
        if not isinstance(parsed, dict):
            raise BodyError("The JSON request body must be an object")
        return {str(k): str(v) for k, v in parsed.items() if v is not None}
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise BodyError(f"Unable to parse the XML request body: {exc}") from None
    return {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in root}
