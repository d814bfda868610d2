"""Typed JD Edwards AIS errors, and the reader that pulls JDE's own messages out of an answer.

Why typed: the caller must act differently on each. A ``JdeAllowlistError`` or ``JdeAuthError`` is
configuration (stop, tell the operator); a ``JdeOrchestrationError`` with JDE error codes is a
business error (queue the record with JDE's words, carry on with the batch); one without codes is
technical (retry later); a ``JdeQueryError`` is a read that cannot go on.

Every message is redacted when the error is built (it may contain server text or URLs), and an
orchestration error names the inputs' *keys* only: their values can be personal or secret.

Where JDE puts its messages varies (reference §2.6, §4.12): a nested ``message`` object keyed by
service request and form (``{"ServiceRequest: SR_x": {"JAS Response": {"fs_P0411_W0411A":
{"errors": [{CODE, TITLE, DESC, MOBILE}]}}}}``), a plain string ``message``, ``Errors/Warnings`` and
``continuedOnError`` arrays on a 200, form ``errors``/``warnings`` and top-level ``sysErrors``.
``collect_messages`` walks whatever arrived and finds them all, so no shape is missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from connector_resources.error_kinds import ConfigurationError
from connector_resources.errors import ClientError
from connector_resources.http.errors import ApiError, response_json
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, target_refused

Severity = Literal["error", "warning"]

ALLOWLIST_ADVICE = (
    "AIS answered 405, which on JD Edwards means the request came from a host that is not allowed: "
    "add this connector's egress IP address (the address its traffic leaves your network from) to "
    "the AIS server's allowedHosts list in Server Manager, and make sure the HTML server's Allowed "
    "Hosts accept the AIS server; then restart the AIS server. Retrying will not help until then."
)


@dataclass(frozen=True)
class JdeMessage:
    """One message JDE returned: ``code`` (``0052``, ``59A4``; may be empty), its texts, where it
    came from (service request / form / step) and whether it is an error or a warning."""

    code: str
    title: str
    description: str = ""
    mobile: str = ""
    source: str = ""
    severity: Severity = "error"

    @property
    def text(self) -> str:
        """The most readable text: MOBILE (one sentence), else DESC, else TITLE."""
        return self.mobile or self.description or self.title

    def __str__(self) -> str:
        head = " ".join(part for part in (self.code, self.title) if part)
        body = self.mobile or self.description
        if body and body != self.title:
            return f"{head}: {body}" if head else body
        return head or body


class JdeError(ClientError, RuntimeError):
    """Base of every JD Edwards AIS error; ``status`` is the HTTP status when one arrived."""


class JdeAuthError(JdeError, ConfigurationError):
    """Credentials refused (403 at login), or the user may not use a service or table (403)."""


class JdeAllowlistError(JdeError, ConfigurationError):
    """HTTP 405: the AIS/HTML server's allowed-hosts configuration refuses this connector."""


class JdeInputError(JdeError, ValueError):
    """A value the client refuses to send (a float amount, an ambiguous datetime); names the field."""


class JdeQueryError(JdeError):
    """A data-service read that failed: bad request, JDE form errors, or a read that cannot resume."""

    def __init__(
        self,
        message: str,
        *,
        table: str = "",
        messages: Sequence[JdeMessage] = (),
        status: int | None = None,
    ) -> None:
        self.table = table
        self.messages = tuple(messages)
        super().__init__(message, status=status)

    def _fields(self) -> dict[str, Any]:
        return {"status": self.status, "table": self.table, "messages": self.messages}


class JdeOrchestrationError(JdeError):
    """An orchestration that failed: ``jde__status`` ERROR, a failed HTTP call, or errors on a 200.

    ``messages`` are JDE's (code, title, texts); ``codes`` the codes among them. ``input_keys`` are
    the names of the inputs sent, never their values. ``partial`` is True when the server continued
    past a failed step (``continuedOnError``) so some of the work may have been done;
    ``outcome_unknown`` when no answer arrived at all (timeout, reset), so it may have run entirely.
    """

    def __init__(
        self,
        message: str,
        *,
        orchestration: str,
        input_keys: Sequence[str] = (),
        messages: Sequence[JdeMessage] = (),
        simple_message: str = "",
        exception_id: str = "",
        partial: bool = False,
        outcome_unknown: bool = False,
        status: int | None = None,
    ) -> None:
        self.orchestration = orchestration
        self.input_keys = tuple(input_keys)
        self.messages = tuple(messages)
        self.simple_message = redact(simple_message)
        self.exception_id = exception_id
        self.partial = partial
        self.outcome_unknown = outcome_unknown
        super().__init__(message, status=status)

    @property
    def codes(self) -> tuple[str, ...]:
        """JDE error codes in the answer (``("59A4",)``), errors before warnings, without repeats."""
        ordered = [m.code for m in self.messages if m.code and m.severity == "error"]
        ordered += [m.code for m in self.messages if m.code and m.severity == "warning"]
        return tuple(dict.fromkeys(ordered))

    @property
    def is_business_error(self) -> bool:
        """True when JDE named a reason (an error code): fix the data, do not just retry."""
        return any(m.code for m in self.messages if m.severity == "error")

    def retry_hint(self) -> tuple[bool, str] | None:
        """A reason JDE named is the same on every attempt; no answer at all may have gone either way
        (a rerun checks the ledger and searches first)."""
        if self.is_business_error:
            return False, "JD Edwards refused the orchestration for a business reason"
        if self.outcome_unknown:
            return True, "no answer from JD Edwards (outcome unknown)"
        return None

    def refused_for_good(self) -> bool | None:
        """Only a business refusal is about the record itself, whatever the HTTP status."""
        return self.is_business_error

    @property
    def code(self) -> str:
        """JDE's first error code (``59A1``), "" when it named none."""
        return self.codes[0] if self.codes else ""

    @property
    def refusal(self) -> Refusal | None:
        """A business refusal as data, grouped by JDE's code whatever the HTTP status (``refusals.
        refusal_of``); None for an outage or no answer, which ``refusal_of`` judges by class."""
        if not self.is_business_error:
            return None
        return target_refused(str(self), system="JDE", code=self.code)

    def _fields(self) -> dict[str, Any]:
        return {
            **super()._fields(),
            "orchestration": self.orchestration,
            "input_keys": self.input_keys,
            "messages": self.messages,
            "simple_message": self.simple_message,
            "exception_id": self.exception_id,
            "partial": self.partial,
            "outcome_unknown": self.outcome_unknown,
        }


# -- finding JDE's messages in an answer -------------------------------------------------------------

_TEXT_FIELDS = ("CODE", "TITLE", "DESC", "MOBILE")


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _severity_of(key: str, inherited: Severity) -> Severity:
    lowered = key.lower()
    if "warning" in lowered and "error" not in lowered:
        return "warning"
    if "error" in lowered and "warning" not in lowered:
        return "error"
    return inherited


def _source_of(key: str) -> str | None:
    """Keys worth naming as a message's origin: service requests, forms, steps, application ids."""
    if key.startswith(("ServiceRequest", "fs_")) or key in ("Application ID",):
        return key
    return None


def collect_messages(body: Any) -> list[JdeMessage]:
    """Every JDE message anywhere in a decoded answer, in document order, without duplicates."""
    found: list[JdeMessage] = []

    def walk(node: Any, severity: Severity, source: str) -> None:
        if isinstance(node, dict):
            if any(isinstance(node.get(f), str) for f in _TEXT_FIELDS):
                found.append(
                    JdeMessage(
                        code=_text(node.get("CODE")),
                        title=_text(node.get("TITLE")),
                        description=_text(node.get("DESC")),
                        mobile=_text(node.get("MOBILE")),
                        source=source,
                        severity=severity,
                    )
                )
                return
            here = source
            if isinstance(node.get("Application ID"), str):
                here = " / ".join(p for p in (source, node["Application ID"]) if p)
            for key, value in node.items():
                if key == "continuedOnError" and isinstance(value, list):
                    for step in value:
                        if isinstance(step, dict):
                            found.append(
                                JdeMessage(
                                    code="",
                                    title=_text(step.get("message")),
                                    description=_text(step.get("userDefinedErrorText")),
                                    source=_text(step.get("step")),
                                    severity="error",
                                )
                            )
                    continue
                if key == "message" and isinstance(value, str) and value.strip():
                    found.append(JdeMessage(code="", title=_text(value), source=here, severity=severity))
                    continue
                named = _source_of(key)
                walk(
                    value,
                    _severity_of(key, severity),
                    " / ".join(p for p in (here, named) if p) if named else here,
                )
        elif isinstance(node, list):
            for item in node:
                walk(item, severity, source)

    walk(body, "error", "")
    return list(dict.fromkeys(found))


def server_message(body: Any) -> str:
    """The ServiceErrorResponse's ``message`` as text (a string, or the first nested message)."""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    if isinstance(message, str):
        return _text(message)
    messages = collect_messages(message) if message is not None else []
    if messages:
        return str(messages[0])
    for key in ("errorText", "userDefinedErrorText", "exception"):
        if isinstance(body.get(key), str) and body[key].strip():
            return _text(body[key])
    return ""


def describe(messages: Iterable[JdeMessage], limit: int = 5) -> str:
    """Messages as one line for an exception text, errors first, at most ``limit``."""
    ordered = sorted(messages, key=lambda m: m.severity != "error")
    parts = [str(m) for m in ordered[:limit]]
    extra = len(ordered) - limit
    if extra > 0:
        parts.append(f"(+{extra} more)")
    return "; ".join(p for p in parts if p)


def error_for_status(exc: ApiError, what: str, *, table: str = "", auth_hint: str = "") -> JdeError | None:
    """The configuration errors every AIS call can meet: 405 (allowed hosts) and 401/403 (auth).

    ``what`` says what was being done ("login as INTEGR8", "read F0401"). Returns None for other
    statuses, which the caller turns into its own error type.
    """
    body = response_json(exc.response)
    said = server_message(body)
    tail = f" The server said: {said}." if said else ""
    if exc.status == 405:
        return JdeAllowlistError(f"JD Edwards AIS refused to {what}. {ALLOWLIST_ADVICE}{tail}", status=405)
    if exc.status in (401, 403):
        hint = f" {auth_hint}" if auth_hint else ""
        return JdeAuthError(
            f"JD Edwards AIS refused to {what} (HTTP {exc.status} Authorization Failure).{hint}{tail}",
            status=exc.status,
        )
    return None
