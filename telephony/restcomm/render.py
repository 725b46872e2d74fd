"""How Restcomm writes a resource: XML inside `<RestcommResponse>` by default, JSON with `.json`.

A representation is a dict with Restcomm's property names in order (`Sid`, `DateCreated`…); JSON
names them in snake_case (`date_created`, `subresource_uris`, `sms_messages`), as the reference's
JSON examples do. A nested dict is a nested element; None is an empty element (JSON null).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def snake(name: str) -> str:
    """`DateCreated` -> `date_created`, `SMSMessages` -> `sms_messages`, `Uri` -> `uri`."""
    return "_".join(word.lower() for word in _WORD.findall(name))


def timestamp(moment: datetime.datetime | None) -> str | None:
    """`2013-10-16T08:51:32.460+00:00`, as the reference's dates (milliseconds and an offset)."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds")


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    return value


def _text(value: Any) -> str:
    value = _scalar(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{name}>{''.join(_element(key, item) for key, item in value.items())}</{name}>"
    text = _text(value)
    return f"<{name}>{escape(text)}</{name}>" if text else f"<{name}/>"


def xml_document(name: str, representation: dict[str, Any]) -> str:
    return f"<RestcommResponse>{_element(name, representation)}</RestcommResponse>"


def xml_list(plural: str, element: str, attributes: dict[str, Any], items: list[dict[str, Any]]) -> str:
    attrs = "".join(
        f" {key}={quoteattr(_text(value) if value is not None else 'null')}" for key, value in attributes.items()
    )
    body = "".join(_element(element, item) for item in items)
    return f"<RestcommResponse><{plural}{attrs}>{body}</{plural}></RestcommResponse>"


def json_value(representation: Any) -> Any:
    if isinstance(representation, dict):
        return {snake(key): json_value(value) for key, value in representation.items()}
    if isinstance(representation, list):
        return [json_value(item) for item in representation]
    return _scalar(representation)


def json_document(value: Any) -> str:
    return json.dumps(json_value(value))
