"""AIS error answers.

Every failure leaves the sandbox as an ``AisError`` carrying the HTTP status and the JSON body a real
AIS server would send (ServiceErrorResponse, reference section 2.7), so route code can raise from any
depth and one place turns it into a response.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

JAS_MSG347 = "JAS_MSG347: The query results expired.  Refresh them by clicking Find again."


def timestamp(moment: dt.datetime | None = None) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS+0000`` in UTC, the AIS timestamp format."""
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class AisError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body.get('message', body)}")
        self.status = status
        self.body = body


def service_error(status: int, message: str, **extra: Any) -> AisError:
    return AisError(status, {"message": message, "exception": "Exception", "timeStamp": timestamp(), **extra})


def bad_request(message: str) -> AisError:
    """400 for a request the server cannot use; the message names the field at fault."""
    return service_error(400, message)


def invalid_token(status: int = 444) -> AisError:
    """A dead token: 444 "Invalid Token", or 403 "Token is Invalid" (Oracle's AIS REST reference documents
    both, the 403 for tokenrequest/validate; which one a service answers is the ``dead_token_status``
    setting)."""
    if status == 403:
        return service_error(403, "Token is Invalid")
    return service_error(444, "Invalid Token")


def authorization_failure() -> AisError:
    # The exact 403 body for bad credentials is unconfirmed; modelled as a ServiceErrorResponse.
    return service_error(403, "Authorization Failure")


def result_set_expired() -> AisError:
    return AisError(500, {"sysErrors": [{"TITLE": JAS_MSG347, "DESC": JAS_MSG347}]})
