"""Open311 answers in JSON or XML, and its errors (a list of {code, description}).

Both formats are built from the same Python values: a list becomes an element holding one child per
item, named as the spec names it (`services` → `service`, `service_requests` → `request`), a mapping
becomes nested elements, None is left out (the swagger types every field as a string, so a JSON null
would break clients that validate), booleans are `true`/`false`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from flask import Response

FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# The element each item of a list is written as, by the list's own name (the spec's examples).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "errors": "error",
    "photos": "photo",
}
# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/FFFF); JSON's encoder
# chokes on lone surrogates too. Such a character in stored text comes out as U+FFFD, never as a 500.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Error(Exception):
    """A refusal in the spec's error format: HTTP `status`, and the body's code and description."""

    def __init__(self, status: int, description: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.headers = dict(headers or {})


def clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _plain(value: Any) -> Any:
    """Only what both formats can carry: None dropped, text cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(str(k)): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value if v is not None]
    return value


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xml_element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, child in value.items():
            element.append(_xml_element(key, child))
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for child in value:
            element.append(_xml_element(item_tag, child))
    else:
        element.text = _xml_text(value)  # ElementTree escapes & < > (and quotes in attributes)
    return element


def to_xml(root: str, value: Any) -> bytes:
    body = ET.tostring(_xml_element(root, _plain(value)), encoding="unicode")
    return (XML_DECLARATION + body).encode("utf-8")


def to_json(value: Any) -> bytes:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def answer(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """`value` in the asked format; `root` is the XML root element (JSON has none)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status=status, content_type=XML_TYPE)
    return Response(to_json(value), status=status, content_type=JSON_TYPE)


def error_answer(fmt: str, error: Open311Error) -> Response:
    response = answer(fmt, "errors", [{"code": error.status, "description": error.description}], error.status)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response
