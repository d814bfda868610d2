"""Orchestration calls (``POST v3/orchestrator/<name>``): JDE's only way to write, and how its answer
is judged.

Its own module because a write is judged differently from a read at every step: inputs are written as
strings and grids, the call is never replayed after a lost answer (it may have run), and a failure can
hide in a 200 (``jde__status`` ERROR, a step that continued on error, or, before Tools 9.2.5.4, a
``ServiceErrorResponse`` without a status). ``JdeSession.orchestrate`` is its face.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_resources.http import ApiError, HttpClient
from connector_resources.http.errors import response_json
from connector_resources.jde.dates import DatePattern
from connector_resources.jde.errors import (
    JdeInputError,
    JdeMessage,
    JdeOrchestrationError,
    collect_messages,
    describe,
    error_for_status,
)
from connector_resources.jde.query import jde_text
from connector_resources.redaction import get_logger, redact

log = get_logger("ml_connector.jde")

ORCHESTRATOR_PATH = "v3/orchestrator"
_ORCHESTRATION_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# Where JDE reports step outcomes beside the designer's outputs (reference §2.6).
_STEP_KEYS = ("Errors/Warnings", "continuedOnError", "sysErrors")


def _input_value(value: Any, path: str, pattern: DatePattern) -> Any:
    """One orchestration input as AIS expects it: strings (reference §2.6: "all input values are
    strings in practice", written as query conditions are: ``jde_text``), grids as lists of objects."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        rows = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise JdeInputError(f"input {path}[{index}]: grid rows must be mappings of input names")
            rows.append(_inputs(item, f"{path}[{index}].", pattern))
        return rows
    return jde_text(value, f"input {path}", pattern)


def _inputs(values: Mapping[str, Any], prefix: str, pattern: DatePattern) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise JdeInputError(f"input {prefix}{key!r}: input names must be non-empty strings")
        if value is None:  # blank = "use the default" in the contracts; not sending it says the same
            continue
        out[key] = _input_value(value, f"{prefix}{key}", pattern)
    return out


def _timestamp(value: Any) -> datetime | None:
    """``2025-02-01T10:09:51.726+0000`` (ServiceErrorResponse's format) -> aware datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class OrchestrationResult:
    """A successful orchestration: the designer's ``outputs`` (``jde__*`` elements removed, numbers
    as int/Decimal), ``status`` (``SUCCESS``; empty on servers before Tools 9.2.5.4 that send no
    ``jde__status``), any warnings JDE attached, and the server's timing."""

    name: str
    outputs: dict[str, Any]
    status: str = ""
    warnings: tuple[JdeMessage, ...] = ()
    simple_message: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    server_seconds: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.outputs.get(name, default)


def run_orchestration(
    http: HttpClient,
    calls: AbstractContextManager[Any],
    name: str,
    inputs: Mapping[str, Any],
    date_pattern: DatePattern,
) -> OrchestrationResult:
    """Run orchestration ``name`` with ``inputs`` (dates written in ``date_pattern``) on ``http``, one call
    at a time under ``calls`` (the session's lock): ``JdeSession.orchestrate``, which says what is sent
    and what is raised."""
    if not isinstance(name, str) or not _ORCHESTRATION_NAME.match(name):
        raise JdeInputError(f"orchestration name {name!r} must be letters, digits and underscores")
    if not isinstance(inputs, Mapping):
        raise JdeInputError(f"orchestration {name}: inputs must be a mapping of input names")
    body = _inputs(inputs, "", date_pattern)
    keys = tuple(body)
    try:
        with calls:
            response = http.post(f"{ORCHESTRATOR_PATH}/{name}", json=body, idempotent=False)
    except ApiError as exc:
        mapped = error_for_status(exc, f"run orchestration {name}")
        if mapped is not None:
            raise mapped from None
        payload = response_json(exc.response)
        if isinstance(payload, Mapping):
            raise _orchestration_error(name, keys, payload, exc.status) from None
        if exc.response is None:
            # The request went out and no answer came back: it may have run. Never replayed here
            # (a write); the caller checks by the record's natural key before trying again.
            raise JdeOrchestrationError(
                f"JD Edwards orchestration {name}: no answer ({exc}); it may or may not have run, so "
                f"look the record up before sending it again. Inputs sent: {', '.join(keys)}",
                orchestration=name,
                input_keys=keys,
                outcome_unknown=True,
            ) from None
        raise JdeOrchestrationError(
            f"JD Edwards orchestration {name} failed: {exc}. Inputs sent: {', '.join(keys)}",
            orchestration=name,
            input_keys=keys,
            status=exc.status,
        ) from None
    payload = response_json(response)
    if not isinstance(payload, Mapping):
        raise JdeOrchestrationError(
            f"JD Edwards orchestration {name} answered with something other than a JSON object",
            orchestration=name,
            input_keys=keys,
            status=response.status_code,
        )
    status = str(payload.get("jde__status") or "").upper()
    # Servers before Tools 9.2.5.4 send no jde__status: recognise a ServiceErrorResponse by its
    # "exception" field or nested "message" object (a designer output may be called "message").
    failed_without_status = not status and (
        "exception" in payload or isinstance(payload.get("message"), Mapping)
    )
    if status == "ERROR" or failed_without_status:
        raise _orchestration_error(name, keys, payload, response.status_code)
    step_messages = collect_messages({k: payload[k] for k in _STEP_KEYS if k in payload})
    step_errors = [m for m in step_messages if m.severity == "error"]
    if step_errors:
        raise _orchestration_error(name, keys, payload, response.status_code, partial=True)
    if status not in ("", "SUCCESS"):
        log.warning("orchestration %s answered jde__status %r; treating it as success", name, status)
    seconds = payload.get("jde__serverExecutionSeconds")
    return OrchestrationResult(
        name=name,
        outputs={k: v for k, v in payload.items() if not k.startswith("jde__") and k not in _STEP_KEYS},
        status=status,
        warnings=tuple(step_messages),
        simple_message=redact(str(payload.get("jde__simpleMessage") or "")),
        started_at=_timestamp(payload.get("jde__startTimestamp")),
        ended_at=_timestamp(payload.get("jde__endTimestamp")),
        server_seconds=Decimal(str(seconds)) if isinstance(seconds, int | Decimal) else None,
        raw=payload,
    )


def _orchestration_error(
    name: str,
    keys: Sequence[str],
    payload: Mapping[str, Any],
    status: int | None,
    *,
    partial: bool = False,
) -> JdeOrchestrationError:
    """The failure of orchestration ``name`` in words: JDE's messages (the steps' first), the inputs sent."""
    wanted = {k: v for k, v in payload.items() if k == "message" or k in _STEP_KEYS}
    messages = collect_messages(wanted) or collect_messages(
        {k: v for k, v in payload.items() if not k.startswith("jde__")}
    )
    simple = str(payload.get("jde__simpleMessage") or "")
    said = describe(messages) or simple or "no message from JDE"
    what = "partly failed (a step continued on error)" if partial else "failed"
    http = f" (HTTP {status})" if status is not None else ""
    return JdeOrchestrationError(
        f"JD Edwards orchestration {name} {what}{http}: {said}. Inputs sent: {', '.join(keys) or 'none'}",
        orchestration=name,
        input_keys=keys,
        messages=messages,
        simple_message=simple,
        exception_id=str(payload.get("exceptionId") or ""),
        partial=partial,
        status=status,
    )
