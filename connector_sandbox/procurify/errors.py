"""Error answers as the layers of a Django REST Framework service produce them.

Three kinds, because a real request can fail in three different places:

* ``drf``: the API itself (``{"detail": "..."}`` or ``{"field": ["message"]}``), shaped by the
  ``error_style`` variant;
* ``auth0``: the OAuth token service (``{"error", "error_description"}``), never wrapped;
* ``html``: Django or the load balancer in front of it (404 for unknown paths, 5xx pages): a client
  that assumes every error body is JSON meets these.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse, Response

from connector_sandbox.http_errors import HttpError
from connector_sandbox.serve import CompactJSONResponse

DRF_MESSAGES = {
    "required": "This field is required.",
    "null": "This field may not be null.",
    "blank": "This field may not be blank.",
    "not_a_list": 'Expected a list of items but got type "{kind}".',
    "empty_list": "This list may not be empty.",
    "invalid_string": "Not a valid string.",
    "max_length": "Ensure this field has no more than {limit} characters.",
    "invalid_boolean": "Must be a valid boolean.",
    "invalid_integer": "A valid integer is required.",
    "invalid_decimal": "A valid number is required.",
    "max_decimal_places": "Ensure that there are no more than {places} decimal places.",
    "min_value": "Ensure this value is greater than or equal to {limit}.",
    "invalid_choice": '"{value}" is not a valid choice.',
    "invalid_date": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "invalid_email": "Enter a valid email address.",
    "pk_does_not_exist": 'Invalid pk "{value}" - object does not exist.',
    "pk_incorrect_type": "Incorrect type. Expected pk value, received {kind}.",
    "not_an_object": "Invalid data. Expected a dictionary, but got {kind}.",
    # Not DRF's (it drops such keys); the sandbox's words under variant unknown_attributes=refused.
    "unknown_attribute": "This field is not an attribute of this resource.",
    "read_only": "This field is read-only.",
}
NOT_FOUND = "Not found."
NOT_AUTHENTICATED = "Authentication credentials were not provided."
PERMISSION_DENIED = "You do not have permission to perform this action."


class ApiError(HttpError):
    """An answer other than success, raised anywhere below a route and rendered by the route wrapper."""

    def __init__(
        self, status: int, body: Any, *, kind: str = "drf", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, f"{status}: {body}", headers)
        self.body = body
        self.kind = kind

    def response(self, error_style: str) -> Response:
        if self.kind == "html":
            return HTMLResponse(str(self.body), status_code=self.status, headers=self.headers)
        body = self.body
        if self.kind == "drf" and error_style == "enveloped":
            body = {"metadata": {}, "errors": body}
        return CompactJSONResponse(body, status_code=self.status, headers=self.headers)


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"detail": message}, headers=headers)


def not_found() -> ApiError:
    return detail(404, NOT_FOUND)


def invalid(errors: dict[str, Any]) -> ApiError:
    """400 with DRF field errors: ``{"field": ["message"], "line_items": [{}, {"field": [...]}]}``."""
    return ApiError(400, errors)


def auth0_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"error": error, "error_description": description}, kind="auth0", headers=headers)


def html_not_found() -> ApiError:
    # Django's production 404 page: no JSON, no detail.
    body = (
        '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n'
        "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
    )
    return ApiError(404, body, kind="html")


_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


def html_server_error(status: int) -> ApiError:
    """A 5xx page: Django's bare one for 500, the load balancer's for the others."""
    if status == 500:
        return ApiError(500, "<h1>Server Error (500)</h1>", kind="html")
    reason = _REASONS.get(status, "Error")
    body = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return ApiError(status, body, kind="html")


def injected_client_error(status: int) -> ApiError:
    """A 4xx injected by fail_next: a JSON detail, as the API itself would send it."""
    return detail(status, f"Sandbox injected failure ({status}).")
