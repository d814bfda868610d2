"""Typed BILL errors, and the reader that finds BILL's error objects in an answer.

Why typed: a caller acts differently on each. ``BillAuthError`` and ``BillRateLimitError`` are for the
operator (fix credentials, wait for the hour to turn); ``BillValidationError`` is a business error
(queue the record with BILL's words, carry on with the batch); ``BillUnavailableError`` is technical
(retry later), and when it says ``outcome_unknown`` the write may have happened, so the record must be
looked up by its natural key before it is sent again; ``BillInputError`` is a record the client
refused to send at all.

Where BILL puts its errors (reference §2.2, quirk 4): v3 answers a non-2xx status with a JSON
**array** of ``{timestamp, code, severity, category, message}`` (some clients also see ``detail`` /
``help``); some integrators report the same array on an HTTP 200 (unconfirmed), and v2 answers 200
with ``{"response_status": 1, "response_data": {"error_code", "error_message"}}``. So errors are
recognised by their shape and ``BDC_`` code in any answer, never by the status alone.

Every message is redacted when the error is built: it may carry server text or URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connector_resources.error_kinds import (
    AnswerError,
    ConfigurationError,
    RateLimitError,
    TransientError,
)
from connector_resources.errors import ClientError
from connector_resources.http.errors import response_json
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, refused

# What the package re-exports (``connector_resources.bill``).
__all__ = [
    "BillAuthError",
    "BillDataError",
    "BillError",
    "BillInputError",
    "BillNotFoundError",
    "BillProblem",
    "BillRateLimitError",
    "BillUnavailableError",
    "BillValidationError",
]

SESSION_INVALID = "BDC_1109"
BAD_CREDENTIALS = "BDC_1101"
BAD_DEV_KEY = "BDC_1102"
NOT_SUPPORTED = "BDC_1121"
HOURLY_CAP = "BDC_1144"
TOO_MANY_IN_FLIGHT = "BDC_1322"
NO_DATA_FOR_ID = "BDC_1205"
BULK_ROLLED_BACK = "BDC_1246"

# Keys an error object might use to name the offending field (none is documented; cheap to look).
_FIELD_KEYS = ("field", "fieldName", "path", "property", "parameter", "param")
# "billLineItems[2].classifications.departmentId:" — an identifier path right before a colon.
_PATH_BEFORE_COLON = re.compile(
    r"(?<![\w'\"])([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*)\s*:(?!\d)"
)
_BULK_INDEX = re.compile(r"^\s*\[(\d+)\]")
_CODE = re.compile(r"^BDC_\w+$")


@dataclass(frozen=True)
class BillProblem:
    """One error object BILL returned: its code, message, and (best effort) the field it names."""

    code: str
    message: str
    severity: str = ""
    category: str = ""
    field: str = ""
    index: int | None = None  # position in a bulk request, when the message starts with "[3]"

    def __str__(self) -> str:
        text = self.message or "(no message)"
        return f"{text} [{self.code}]" if self.code else text


class BillError(ClientError, RuntimeError):
    """Base of every BILL error. ``status`` is the HTTP status when one arrived; ``codes`` BILL's
    ``BDC_`` codes; ``problems`` the error objects; ``record`` names the record concerned."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problems: Sequence[BillProblem] = (),
        record: str = "",
        outcome_unknown: bool = False,
    ) -> None:
        self.problems = tuple(problems)
        self.record = redact(record)
        self.outcome_unknown = outcome_unknown
        super().__init__(message, status=status)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.code for p in self.problems if p.code))

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields BILL's messages name, in order, without repeats."""
        return tuple(dict.fromkeys(p.field for p in self.problems if p.field))

    def _fields(self) -> dict[str, Any]:
        return {
            **super()._fields(),
            "problems": self.problems,
            "record": self.record,
            "outcome_unknown": self.outcome_unknown,
        }


class BillAuthError(BillError, ConfigurationError):
    """Login refused (BDC_1101 / BDC_1102, often the sandbox/production mix-up), a session rejected
    right after logging in again, or an operation that needs an MFA-trusted session."""


class BillInputError(BillError, ValueError):
    """A record the client refuses to send (missing required field, float amount); names both. As a
    refusal (``refusal``), the flow's own rule: nothing reached BILL."""

    @property
    def refusal(self) -> Refusal:
        return refused(str(self), rule="not sendable to BILL")


class BillValidationError(BillError):
    """BILL refused the request (4xx): ``problems`` carry BILL's messages and the fields they name."""


class BillNotFoundError(BillError):
    """No such record (404 / BDC_1205), or BILL does not support the path (BDC_1121)."""


class BillRateLimitError(BillError, RateLimitError):
    """A BILL limit that retrying now cannot beat: the hourly cap (BDC_1144, until ``retry_at``), or
    throttling (BDC_1322 / 429) that outlasted every retry."""

    def __init__(self, message: str, *, retry_at: datetime | None = None, **fields: Any) -> None:
        self.retry_at = retry_at
        super().__init__(message, **fields)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_at": self.retry_at}


class BillUnavailableError(BillError, TransientError):
    """BILL failed (5xx) or did not answer. ``outcome_unknown``: a write whose answer was lost may
    have happened; look the record up by its natural key before sending it again."""


class BillDataError(BillError, AnswerError):
    """BILL answered something the client cannot read (not JSON, a timestamp that is not one)."""


# -- reading BILL's errors out of an answer --------------------------------------------------------


def _is_error_object(node: Any) -> bool:
    return isinstance(node, Mapping) and isinstance(node.get("code"), str) and bool(_CODE.match(node["code"]))


def problems_in(payload: Any) -> list[BillProblem]:
    """BILL's error objects in a decoded answer (v3 array, a single object, or a v2 envelope).

    An empty list means "no error shape here"; a list of ordinary records (a bulk create's answer)
    is not mistaken for errors, because records carry no ``BDC_`` ``code``.
    """
    raw: list[Mapping[str, Any]] = []
    if isinstance(payload, list) and payload and all(_is_error_object(item) for item in payload):
        raw = list(payload)
    elif _is_error_object(payload) and ("message" in payload or "severity" in payload):
        raw = [payload]
    elif isinstance(payload, Mapping) and str(payload.get("response_status")) == "1":
        data = payload.get("response_data")
        data = data if isinstance(data, Mapping) else {}
        raw = [
            {
                "code": str(data.get("error_code") or ""),
                "message": str(data.get("error_message") or payload.get("response_message") or ""),
            }
        ]
    elif isinstance(payload, Mapping) and isinstance(payload.get("errors"), list):
        raw = [item for item in payload["errors"] if _is_error_object(item)]
    return [_problem(item) for item in raw]


def _problem(item: Mapping[str, Any]) -> BillProblem:
    message = " ".join(str(item.get("message") or "").split())
    for extra in ("detail", "help"):
        value = item.get(extra)
        if isinstance(value, str) and value.strip() and value.strip() not in message:
            message = f"{message} ({' '.join(value.split())})" if message else " ".join(value.split())
    field = ""
    for key in _FIELD_KEYS:
        if isinstance(item.get(key), str) and item[key].strip():
            field = item[key].strip()
            break
    index_match = _BULK_INDEX.match(message)
    return BillProblem(
        code=str(item.get("code") or ""),
        message=redact(message),
        severity=str(item.get("severity") or ""),
        category=str(item.get("category") or ""),
        field=field,
        index=int(index_match.group(1)) if index_match else None,
    )


def error_codes(response: requests.Response | None) -> tuple[str, ...]:
    """The ``BDC_`` codes of a response's error objects (cached on the response: the auth scheme,
    the retry predicate and the session all ask about the same answer)."""
    if response is None:
        return ()
    cached = getattr(response, "_bill_codes", None)
    if cached is not None:
        return cached
    codes: tuple[str, ...] = ()
    content = response.content or b""
    head = content[:1024].lstrip()
    # A successful list is a JSON object without BDC codes: skip decoding big pages for nothing.
    if response.status_code >= 400 or head.startswith(b"[") or b"BDC_" in head:
        codes = tuple(p.code for p in problems_in(response_json(response)) if p.code)
    response._bill_codes = codes  # type: ignore[attr-defined]
    return codes


# -- naming the field ----------------------------------------------------------------------------------


def payload_paths(payload: Any, prefix: str = "") -> list[str]:
    """Every JSON path in a request body (``billLineItems[0].classifications.departmentId``)."""
    paths: list[str] = []
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.append(path)
            paths.extend(payload_paths(value, path))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            path = f"{prefix}[{index}]"
            paths.append(path)
            paths.extend(payload_paths(value, path))
    return paths


# Fields the reference documents for what the client writes: a message may name one the request
# did not carry ("name: is required"), so they are candidates beside the request's own paths.
DOCUMENTED_FIELDS = (
    "name", "shortName", "accountType", "email", "phone", "billCurrency", "address", "address.line1",
    "address.line2", "address.city", "address.stateOrProvince", "address.zipOrPostalCode",
    "address.country", "paymentInformation", "paymentInformation.payeeName", "additionalInfo",
    "additionalInfo.taxId", "additionalInfo.taxIdType", "vendorId", "dueDate", "invoice",
    "invoice.invoiceNumber", "invoice.invoiceDate", "description", "purchaseOrderNumber",
    "payFromChartOfAccountId", "classifications", "billLineItems", "amount", "quantity", "price",
    "processDate", "toPrintCheck", "payments", "billId", "notificationUrl", "events", "status",
)  # fmt: skip


def with_fields(problems: Iterable[BillProblem], sent: Any = None) -> list[BillProblem]:
    """Fill in ``field`` where BILL's error object did not (best effort: BILL's message format is
    not documented, and a field is never invented when the text names none).

    Candidates are the request body's own paths and the documented fields; the longest one the
    message mentions wins. In a bulk request a problem starting "[3]" is matched against element 3.
    Failing that, a dotted or indexed path written right before a colon
    (``billLineItems[2].amount:``) is taken; a bare word before a colon is not (it may be prose).
    """
    out = []
    for problem in problems:
        field = problem.field
        if not field:
            target = sent
            if isinstance(sent, list) and problem.index is not None and problem.index < len(sent):
                target = sent[problem.index]
            candidates = (
                {p for p in payload_paths(target) if not p.startswith("[")} if target is not None else set()
            )
            candidates.update(DOCUMENTED_FIELDS)
            message = _BULK_INDEX.sub("", problem.message)
            field = next((p for p in sorted(candidates, key=len, reverse=True) if _mentions(message, p)), "")
            if not field:
                match = _PATH_BEFORE_COLON.search(message)
                if match and ("." in match.group(1) or "[" in match.group(1)):
                    field = match.group(1)
        out.append(
            BillProblem(
                problem.code,
                problem.message,
                problem.severity,
                problem.category,
                field,
                problem.index,
            )
        )
    return out


def _mentions(text: str, path: str) -> bool:
    """Whether ``text`` names the field ``path``. A dotted / indexed path or a camelCase name
    (``vendorId``) is unambiguous anywhere it stands alone; a plain word (``email``, ``address``)
    counts only as a label (``email:``) or quoted (``'email'``), since it may just be prose
    ("is not an e-mail address")."""
    escaped = re.escape(path)
    alone = rf"(?<![\w.\[]){escaped}(?![\w\[])"
    if re.search(r"[.\[]|[a-z][A-Z]", path):
        return re.search(alone, text) is not None
    return re.search(rf"{alone}\s*:|['\"`]{escaped}['\"`]", text) is not None


def describe(problems: Sequence[BillProblem], limit: int = 5) -> str:
    """Problems as one line for an exception text, at most ``limit``."""
    parts = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        parts.append(f"(+{len(problems) - limit} more)")
    return "; ".join(parts)


def next_top_of_hour(now: datetime | None = None) -> datetime:
    """When BILL's hourly request window resets (reference §2.3: "until the top of the next hour")."""
    now = now or datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
