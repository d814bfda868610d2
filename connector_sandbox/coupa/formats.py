"""Content negotiation and the two wire formats (JSON and Rails-style XML) plus Coupa's error bodies.

Coupa answers XML unless the request says ``Accept: application/json`` (quirk 1): a client that
forgets the header gets XML, and an XML query with no match is a 404 ``<errors>`` document where JSON
would be ``[]`` with 200.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from connector_sandbox.serve import CompactJSONResponse

from .schema import RESOURCES, Collection, plural

NO_RESULTS = "No results match your search criteria."


def _collection_items() -> dict[str, str]:
    """Every collection element name -> its item element name, for XML arrays."""
    found: dict[str, str] = {}

    def walk(fields: dict[str, Any]) -> None:
        for key, node in fields.items():
            if isinstance(node, Collection):
                found[key] = node.item_element
                walk(node.fields)

    for resource in RESOURCES.values():
        found[resource.plural_element] = resource.element
        walk(resource.fields)
    return found


_ITEM_ELEMENTS = _collection_items()


def wants_json(request: Request) -> bool:
    """True only when the Accept header names application/json (with or without parameters)."""
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "application/json" for part in accept.split(","))


def _xml_value(name: str, value: Any, indent: str) -> str:
    tag = escape(name)
    if value is None:
        return f'{indent}<{tag} nil="true"/>\n'
    if isinstance(value, bool):
        return f'{indent}<{tag} type="boolean">{"true" if value else "false"}</{tag}>\n'
    if isinstance(value, int):
        return f'{indent}<{tag} type="integer">{value}</{tag}>\n'
    if isinstance(value, float):
        return f'{indent}<{tag} type="decimal">{value}</{tag}>\n'
    if isinstance(value, dict):
        inner = "".join(_xml_value(key, item, indent + "  ") for key, item in value.items())
        return f"{indent}<{tag}>\n{inner}{indent}</{tag}>\n"
    if isinstance(value, list):
        item_name = _ITEM_ELEMENTS.get(name, name[:-1] if name.endswith("s") else name + "-item")
        inner = "".join(_xml_value(item_name, item, indent + "  ") for item in value)
        return f'{indent}<{tag} type="array">\n{inner}{indent}</{tag}>\n'
    return f"{indent}<{tag}>{escape(str(value))}</{tag}>\n"


def xml_document(root: str, value: Any) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + _xml_value(root, value, "")).encode("utf-8")


def record_response(request: Request, element: str, payload: Any, status: int = 200) -> Response:
    """One record (dict) or a list of records in the format the request asked for."""
    if wants_json(request):
        return CompactJSONResponse(payload, status_code=status)
    root = plural(element) if isinstance(payload, list) else element
    return Response(xml_document(root, payload), status_code=status, media_type="application/xml")


def errors_response(request: Request, element: str, messages: list[str], status: int) -> Response:
    """Coupa's validation/error body: JSON ``{"errors": {element: [...]}}``, XML ``<errors><error>``."""
    if wants_json(request):
        return CompactJSONResponse({"errors": {element: messages}}, status_code=status)
    inner = "".join(f"  <error>{escape(message)}</error>\n" for message in messages)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n{inner}</errors>\n'
    return Response(body.encode("utf-8"), status_code=status, media_type="application/xml")


class CoupaError(Exception):
    """Raised anywhere in a request; becomes an ``errors`` body under the resource's element name."""

    def __init__(
        self,
        status: int,
        messages: list[str] | str,
        element: str = "base",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.element = element
        self.headers = headers or {}
        super().__init__("; ".join(self.messages))

    def response(self, request: Request) -> Response:
        response = errors_response(request, self.element, self.messages, self.status)
        response.headers.update(self.headers)
        return response
