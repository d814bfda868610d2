"""Error answers of the pod, in the shapes the reference describes (section 2.10, quirk 7).

Route code raises ``FusionError`` from any depth; ``render_error`` turns it into the body the live
``BehaviourSettings`` call for: a terse plain-text line (the default, as most pods answer), or
Oracle's REST error standard (``application/vnd.oracle.adf.error+json``) when configured and asked
for. The error codes are the sandbox's own (the reference could not confirm Fusion's), so clients
must not depend on them.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from ..http_errors import HttpError
from .settings import BehaviourSettings

ERROR_MEDIA_TYPE = "application/vnd.oracle.adf.error+json"
TEXT_MEDIA_TYPE = "text/plain; charset=UTF-8"

MAINTENANCE_PAGE = """<!DOCTYPE html>
<html><head><title>Service Unavailable</title></head>
<body><h1>Oracle Fusion Cloud Applications</h1>
<p>This environment is currently unavailable because of scheduled maintenance.
Please try again later.</p></body></html>
"""

PROXY_PAGE = """<!DOCTYPE html>
<html><head><title>{status} {reason}</title></head>
<body><h1>{reason}</h1><p>The proxy server received an invalid response from an upstream server.</p>
<hr><address>Oracle-HTTP-Server</address></body></html>
"""


class FusionError(HttpError):
    """An HTTP error answer: status, the message, and what the structured form adds."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "",
        path: str | None = None,
        terse: str | None = None,
        headers: dict[str, str] | None = None,
        body_kind: str | None = None,
    ) -> None:
        super().__init__(status, f"HTTP {status}: {message}", headers)
        self.message = message
        self.code = code
        self.path = path
        # What a "terse" pod says instead (validation_messages = "terse"): no attribute named.
        self.terse = terse
        # Forces one body form: "html", "empty", "text" or "structured" (fault injection).
        self.body_kind = body_kind


def bad_request(
    message: str, *, code: str = "SBX-400", path: str | None = None, terse: str | None = None
) -> FusionError:
    return FusionError(400, message, code=code, path=path, terse=terse)


def not_found(message: str = "The requested resource does not exist.") -> FusionError:
    return FusionError(404, message, code="SBX-404")


def invalid_operation(operation: str) -> FusionError:
    """The framework's answer to an operation the resource does not support (reference 2.10)."""
    return FusionError(400, f"Invalid operation {operation} for the specified resource.", code="SBX-27503")


def wants_structured(behaviour: BehaviourSettings, accept: str, framework_version: int) -> bool:
    if behaviour.error_format == "structured":
        return True
    if behaviour.error_format == "negotiated":
        return (
            ERROR_MEDIA_TYPE in accept.lower() and framework_version >= behaviour.structured_error_min_version
        )
    return False


def structured_body(error: FusionError, message: str) -> dict[str, Any]:
    reason = HTTPStatus(error.status).phrase if error.status in HTTPStatus._value2member_map_ else "Error"
    detail: dict[str, Any] = {"detail": message, "o:errorCode": error.code}
    if error.path:
        detail["o:errorPath"] = error.path
    return {
        "type": f"http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.{error.status // 100}",
        "title": reason,
        "detail": message,
        "o:errorCode": error.code,
        "status": str(error.status),
        "o:errorDetails": [detail],
    }


def render_error(
    error: FusionError, behaviour: BehaviourSettings, *, accept: str = "", framework_version: int = 1
) -> Response:
    message = error.terse if (error.terse and behaviour.validation_messages == "terse") else error.message
    kind = error.body_kind
    if kind is None:
        kind = "structured" if wants_structured(behaviour, accept, framework_version) else "text"
    headers = dict(error.headers)
    if kind == "structured":
        body = json.dumps(structured_body(error, message), ensure_ascii=False).encode("utf-8")
        return Response(body, status_code=error.status, media_type=ERROR_MEDIA_TYPE, headers=headers)
    if kind == "html":
        reason = HTTPStatus(error.status).phrase if error.status in HTTPStatus._value2member_map_ else "Error"
        page = (
            MAINTENANCE_PAGE if error.status == 503 else PROXY_PAGE.format(status=error.status, reason=reason)
        )
        return Response(
            page, status_code=error.status, media_type="text/html; charset=UTF-8", headers=headers
        )
    if kind == "empty":
        return Response(b"", status_code=error.status, headers=headers)
    return Response(message, status_code=error.status, media_type=TEXT_MEDIA_TYPE, headers=headers)
