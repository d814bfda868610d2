"""BILL v3 error answers: a non-2xx status and a JSON array of error objects (reference 2.2).

Codes the reference documents keep their documented meaning. Situations the reference gives no code
for (a missing field, an MFA-protected call on an untrusted session, ...) use sandbox-chosen codes,
listed in README.md; a client should recognise those by HTTP status and ``category``, never by code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Documented codes.
SESSION_INVALID = "BDC_1109"
BAD_CREDENTIALS = "BDC_1101"
BAD_DEV_KEY = "BDC_1102"
API_NOT_SUPPORTED = "BDC_1121"
SYSTEM_ERROR = "BDC_1001"
UNKNOWN_ERROR = "BDC_1002"  # "often a misspelt param": unknown body fields and query parameters
NO_DATA_FOR_ID = "BDC_1205"
BULK_ROLLBACK = "BDC_1246"
OVERPAY = "BDC_1159"
HOURLY_LIMIT = "BDC_1144"
CONCURRENCY_LIMIT = "BDC_1322"

# Sandbox-chosen codes (no code is documented for these situations).
VALIDATION = "BDC_1000"
MFA_REQUIRED = "BDC_1003"
INVALID_STATE = "BDC_1004"
DUPLICATE = "BDC_1005"
LIMIT_EXCEEDED = "BDC_1006"

SESSION_INVALID_MESSAGE = "Session is invalid.  Please log in."  # two spaces, as documented


def bill_timestamp(moment: dt.datetime) -> str:
    """v3 timestamp style: ``2025-03-10T15:00:00.000+00:00`` (ISO, milliseconds, colon offset)."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


@dataclass(frozen=True)
class Problem:
    """One error object of the array."""

    code: str
    message: str
    category: str = "REQUEST"  # REQUEST / APPLICATION / SERVER / DOWNSTREAM
    severity: str = "ERROR"


@dataclass
class BillError(Exception):
    """Raised anywhere in a handler; the route wrapper renders it as BILL would."""

    status: int
    problems: list[Problem]
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{problem.code}: {problem.message}" for problem in self.problems)

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    def body(self, *, detail_keys: bool) -> list[dict[str, str]]:
        now = bill_timestamp(dt.datetime.now(dt.UTC))
        objects = []
        for problem in self.problems:
            entry = {
                "timestamp": now,
                "code": problem.code,
                "severity": problem.severity,
                "category": problem.category,
                "message": problem.message,
            }
            if detail_keys:
                entry["detail"] = problem.message
                entry["help"] = "https://developer.bill.com/docs/common-api-error-codes"
            objects.append(entry)
        return objects


def error(status: int, code: str, message: str, category: str = "REQUEST") -> BillError:
    return BillError(status, [Problem(code, message, category)])


def validation(messages: list[str], status: int = 400) -> BillError:
    """Every problem found in one request body, each naming its record and field."""
    return BillError(status, [Problem(VALIDATION, message) for message in messages])


def unknown_field(path: str) -> Problem:
    return Problem(UNKNOWN_ERROR, f"{path}: unknown field (misspelt parameter?)")


def read_only_field(path: str) -> Problem:
    return Problem(UNKNOWN_ERROR, f"{path}: read-only field (BILL sets it; a write cannot)")


def session_invalid(status: int) -> BillError:
    return error(status, SESSION_INVALID, SESSION_INVALID_MESSAGE, "DOWNSTREAM")


def not_found(status: int, kind: str, record_id: str) -> BillError:
    return error(status, NO_DATA_FOR_ID, f"No data found for {kind} id {record_id!r}", "APPLICATION")
