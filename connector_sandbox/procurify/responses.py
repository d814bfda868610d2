"""Success envelopes: ``{"metadata": {...}, "data": ...}`` for lists and single objects, and CSV.

Every list also answers ``?format=csv`` (reference 2.2) as djangorestframework-csv would: nested
objects flattened into dotted column names (``vendor.name``, ``items.0``). Another ``format`` value is
DRF's 404.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from connector_sandbox.serve import CompactJSONResponse

from .errors import not_found
from .listing import Page


def wanted_format(request: Request) -> str:
    value = request.query_params.get("format") or "json"
    if value not in ("json", "csv"):
        raise not_found()
    return value


def single(data: Any, status: int = 200) -> Response:
    return CompactJSONResponse({"metadata": {}, "data": data}, status_code=status)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(f"{prefix}.{index}", inner, out)
    else:
        out[prefix] = "" if value is None else value


def listing(request: Request, page: Page, data: list[dict[str, Any]], **metadata: Any) -> Response:
    if wanted_format(request) == "csv":
        rows = []
        for item in data:
            flat: dict[str, Any] = {}
            _flatten("", item, flat)
            rows.append(flat)
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return Response(buffer.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8")
    return CompactJSONResponse({"metadata": {**metadata, "pagination": page.pagination}, "data": data})
