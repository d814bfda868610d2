"""Procore API error answers.

Route code raises ``ApiError`` from any depth; one place (``app.api_route``) renders it in the error-body
style the live settings choose, because the v1 body shape is unconfirmed (reference section 3):

* ``errors`` (default): ``{"errors": "<text>"}`` or ``{"errors": {"field": ["message", ...]}}``
* ``message``: ``{"message": "<text>"}`` or ``{"message": "<summary>", "errors": {...}}``
* ``v2``: ``{"error": {"code": "BAD_REQUEST", "message": "<text>", "details": [...]}}``

Field messages follow Rails' wording ("can't be blank", "has already been taken") because Procore is a
Rails application and that is what its validation errors look like.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from starlette.responses import Response

from ..http_errors import HttpError

FieldErrors = dict[str, list[str]]

_V2_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    406: "NOT_ACCEPTABLE",
    408: "REQUEST_TIMEOUT",
    409: "CONFLICT",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(HttpError):
    """An HTTP error with either a message or per-field errors, plus extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: FieldErrors | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, f"HTTP {status}: {message}", headers)
        self.message = message
        self.fields = fields

    def body(self, style: Literal["errors", "message", "v2"]) -> dict[str, Any]:
        if style == "v2":
            details = [
                {"reason_code": "INVALID_ATTRIBUTE", "field": name, "message": text}
                for name, texts in (self.fields or {}).items()
                for text in texts
            ]
            return {
                "error": {
                    "code": _V2_CODES.get(self.status, "ERROR"),
                    "message": self.message,
                    "details": details,
                }
            }
        if style == "message":
            return {"message": self.message, **({"errors": self.fields} if self.fields else {})}
        return {"errors": self.fields if self.fields else self.message}

    def response(self, style: Literal["errors", "message", "v2"]) -> Response:
        return Response(
            json.dumps(self.body(style), ensure_ascii=False),
            status_code=self.status,
            media_type="application/json; charset=utf-8",
            headers=self.headers,
        )


class ValidationFailed(Exception):
    """Per-field validation errors of one record; the caller decides the status (422, 409, sync row)."""

    def __init__(self, fields: FieldErrors, *, status: int = 422) -> None:
        super().__init__("; ".join(f"{name} {', '.join(texts)}" for name, texts in fields.items()))
        self.fields = fields
        self.status = status

    def as_api_error(self) -> ApiError:
        return ApiError(self.status, "Validation failed: " + str(self), fields=self.fields)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(what: str = "Not Found") -> ApiError:
    # 404 also means "you may not read it" on Procore (reference quirk 4): the text never says which.
    return ApiError(404, what)


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)


def unprocessable(message: str, fields: FieldErrors | None = None) -> ApiError:
    return ApiError(422, message, fields=fields)
