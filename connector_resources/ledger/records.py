"""The ledger's values, errors and input checks, shared by every concern of ``Ledger``.

The records a caller gets back (``Xref``, ``AuditEvent``, ``QueueItem``, ...), the errors it may catch,
and the checks that turn a bad argument into a ``LedgerInputError`` naming the record and the field.
Kept apart from the stores so each concern module imports them without importing another concern.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from connector_resources.redaction import redact


class LedgerError(Exception):
    """Base class for ledger errors a caller may want to handle."""


class LedgerInputError(LedgerError, ValueError):
    """A value handed to the ledger is unusable; the message names the record and the field."""


class LedgerRecordNotFound(LedgerError, LookupError):
    """A queue item or inbox row id that does not exist."""


class XrefConflict(LedgerError):
    """Recording this target id would give a source record two targets, or a target two sources.

    Either way a duplicate exists (or is about to) in the target system: the operator has to decide
    which record is right, so the ledger refuses instead of overwriting.
    """

    def __init__(
        self,
        message: str,
        *,
        recorded_target_id: str | None = None,
        attempted_target_id: str | None = None,
        other_source_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.recorded_target_id = recorded_target_id
        self.attempted_target_id = attempted_target_id
        self.other_source_key = other_source_key


class XrefLeased(LedgerError):
    """Another run (or replay) holds the lease on this source record: it is being written right now.

    The claimant must not create the record (that would be the duplicate the lease exists to prevent); it
    waits, or holds the record until the holder has finished. ``owner`` and ``expires_at`` say who holds it
    and until when at the latest (a killed holder's lease ends then, and the next writer takes over).
    """

    def __init__(self, message: str, *, owner: str | None, expires_at: datetime | None) -> None:
        super().__init__(message)
        self.owner = owner
        self.expires_at = expires_at


@dataclass(frozen=True, slots=True)
class Xref:
    """One source record's counterpart in a target system (``mlc_xref``)."""

    id: int
    integration: str
    entity: str
    source_system: str
    source_key: str
    target_system: str
    target_id: str | None
    content_hash: str | None
    state: str
    manual: bool
    note: str | None
    entered_by: str | None
    created_at: datetime
    updated_at: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    @property
    def label(self) -> str:
        """How the record is named in messages: ``coupa/supplier JDE:4343 -> coupa``."""
        return (
            f"{self.integration}/{self.entity} {self.source_system}:{self.source_key} -> {self.target_system}"
        )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the append-only audit trail (``mlc_audit_event``)."""

    id: int
    at: datetime
    integration: str
    flow: str
    entity: str | None
    source_system: str | None
    source_id: str | None
    target_system: str | None
    target_id: str | None
    action: str
    run_id: str | None
    partition_key: str | None
    reason: str
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A record waiting to be written again (``mlc_retry_queue``)."""

    id: int
    integration: str
    flow: str
    entity: str
    source_key: str
    payload: dict[str, Any]
    reason: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    depends_on: str | None
    last_run_id: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    kind: str | None = None  # the refusal's group (``refusals.Refusal.group``): its kind and grouping values
    params: dict[str, Any] | None = None  # the refusal's parameters (``refusals.Refusal.params``)
    attention: str | None = None  # who acts: "flows" (clears by itself) or "person" (``refusals``)

    @property
    def refusal_kind(self) -> str:
        """The catalog code of the item's refusal (``refusals.KINDS``), "" for an item without one."""
        from connector_resources.refusals import code_of

        return code_of(self.kind or "")


@dataclass(frozen=True, slots=True)
class QueueOverview:
    """What the retry queue holds, in counts (``ml-connector replay`` and the replay job report it).

    ``held_by`` is every dependency key held records wait for, with how many wait for it, most waited-for
    first; ``synced`` are those of them that have already synced (their records are due for replay even
    if the path that synced them did not release them).
    """

    due: int
    not_yet_due: int
    next_attempt_at: datetime | None
    held: int
    held_by: list[tuple[str, int]]
    synced: frozenset[str]
    # Failed items no timer tries again (``refusal_actions.timed``): mapped again when their record
    # changes, or replayed by a person.
    on_change: int = 0

    @property
    def held_on_synced(self) -> int:
        return sum(count for key, count in self.held_by if key in self.synced)


def dependency_key(integration: str, entity: str, source_system: str, source_key: str) -> str:
    """What a record held on another one names in ``depends_on``: ``jde_coupa:supplier:JDE:4343``.

    The same text as ``FlowSpec.dependency_key``; the ledger reads it back to tell whether that record has
    synced (a cross-reference with a target id), so every path that wrote it counts, not only a run.
    """
    return f"{integration}:{entity}:{source_system}:{source_key}"


def _dependency_parts(depends_on: str) -> tuple[str, str, str, str] | None:
    parts = depends_on.split(":", 3)
    return (parts[0], parts[1], parts[2], parts[3]) if len(parts) == 4 and all(parts) else None


@dataclass(frozen=True, slots=True)
class MappingUse:
    """A run that mapped with a version of a mapping table (``mlc_mapping_use``): the desk shows them beside
    the table's history, so "which table did that run use?" has an answer."""

    version: int
    run_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A webhook delivery stored before it was acknowledged (``mlc_webhook_inbox``)."""

    id: int
    source: str
    event_id: str
    received_at: datetime
    processed_at: datetime | None
    status: str
    attempts: int
    error: str | None
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Recording:
    """A record written to its target, as a write step hands it to ``Ledger.record_written``: its xref
    key, the target id and content hash to record, and its audit event (``Ledger.audit``'s arguments)."""

    integration: str
    entity: str
    source_system: str
    source_key: str
    target_system: str
    target_id: str
    content_hash: str
    audit: Mapping[str, Any]


class Recorded(NamedTuple):
    """What ``Ledger.record_written`` did with a batch: per recording, whether it was recorded, and the
    dependency keys (``dependency_key``) of those recorded that have retry-queue items held on them."""

    done: list[bool]
    held: frozenset[str]


def _now() -> datetime:
    return datetime.now(UTC)


def _text(record: str, field: str, value: object, max_len: int) -> str:
    """Check a required string argument and return it; errors name the record and the field."""
    if not isinstance(value, str) or not value.strip():
        raise LedgerInputError(f"{record}: field '{field}' must be a non-empty string, got {value!r}")
    if len(value) > max_len:
        raise LedgerInputError(
            f"{record}: field '{field}' is {len(value)} characters long; the ledger accepts at most {max_len}"
        )
    return value


def _optional_text(record: str, field: str, value: object, max_len: int) -> str | None:
    """Like ``_text``, but None is allowed (and an empty string means None)."""
    return None if value is None or value == "" else _text(record, field, value, max_len)


def _fits(value: object, max_len: int) -> bool:
    """Whether ``_text`` would accept ``value`` (a batch checks first and names the field only on error)."""
    return isinstance(value, str) and 0 < len(value) <= max_len and not value.isspace()


def _aware(record: str, field: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise LedgerInputError(f"{record}: field '{field}' must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _json_default(value: object) -> object:
    # Amounts stay exact (Decimal as text, never float); dates as ISO strings.
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"values of type {type(value).__name__} cannot be stored as JSON")


def _to_json(record: str, field: str, value: Mapping[str, Any]) -> str:
    if not isinstance(value, Mapping):
        raise LedgerInputError(f"{record}: field '{field}' must be a dict, got {type(value).__name__}")
    try:
        return json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise LedgerInputError(f"{record}: field '{field}' is not JSON-serialisable: {exc}") from exc


def _redact_json(value: Any) -> Any:
    """Mask secrets inside a JSON-able structure value by value, so the result stays valid JSON."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): _redact_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_json(v) for v in value]
    return value


def _xref_label(
    integration: str, entity: str, source_system: str, source_key: str, target_system: str
) -> str:
    return f"xref {integration}/{entity} {source_system}:{source_key} -> {target_system}"


def _natural(key: str) -> tuple[int, int, str]:
    """Sort order for source keys: numeric ids by value (2 before 10), then the rest as text."""
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
