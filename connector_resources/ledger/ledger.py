"""The ledger: the project's memory of what it wrote, so no record is duplicated or lost.

Every integration talks to the target systems through this record of

* cross-references (source key -> target id, plus a hash of what was last written), so a re-run
  skips or updates instead of creating twice, and a crash between "create" and "remember" is
  recoverable (the intent is recorded first, see ``claim_xref``);
* an append-only audit trail a finance user can read;
* a retry queue for records that failed or wait on another record;
* cursors (high-water marks) for incremental extraction;
* a durable inbox for webhook deliveries.

Every method takes an optional ``conn``: pass the connection from ``transaction()`` to make several
calls one atomic unit (e.g. record the target id *and* the audit event, or neither). Without it each
call is its own transaction.

Concurrency is handled by the database, not by Python locks, because the writers are separate
processes (Dagster steps, the webhook receiver, the CLI): unique constraints plus conditional
``UPDATE``/``INSERT ... ON CONFLICT`` statements decide races, and the loser gets a clear
``XrefConflict`` instead of a silent overwrite.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from connector_resources import settings
from connector_resources.ledger import schema, statements
from connector_resources.ledger.driver_batch import DriverBatch, ValuesUpdate
from connector_resources.ledger.driver_batch import held_on as driver_held_on
from connector_resources.ledger.engine import describe_url, ledger_url, make_engine, read_engine
from connector_resources.ledger.engine import migrate as migrate_schema
from connector_resources.process_identity import ProcessIdentity
from connector_resources.redaction import get_logger, redact

log = get_logger("ledger")

# Headers that carry credentials rather than facts about the event; never persisted in the inbox.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


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


# How long a claim (lease) on a source record lasts. It must outlive one record's write: a search and a
# create, each an HTTP call that gives up after its deadline (300 s; Fusion 600 s) retries included, and
# the writer renews it before the create. A killed run's lease ends after this long.
LEASE_MINUTES_ENV = "ML_LEDGER_LEASE_MINUTES"
DEFAULT_LEASE = timedelta(minutes=30)
# How long a writer that finds a record leased by another run waits for it before holding the record in
# the retry queue instead: a typical write takes well under a second, a stuck one much longer.
LEASE_WAIT_ENV = "ML_LEDGER_LEASE_WAIT_SECONDS"
DEFAULT_LEASE_WAIT = timedelta(seconds=60)


# How long a process's record as a lease holder is kept (``Ledger._hold``): far beyond any lease, so a
# record is only pruned once every lease it could vouch for has lapsed by itself.
HOLDERS_KEPT = timedelta(days=2)


def _live(row: Any, now: datetime) -> bool:
    """Whether a lease row (an ``Xref``, or a row with ``lease_expires_at``) is held and not expired."""
    return row.lease_expires_at is not None and row.lease_expires_at > now


# ``record_written``'s update on PostgreSQL: one statement per flow, returning the rows it updated.
_VALUES_UPDATE = ValuesUpdate(schema.xref, schema.retry_queue)


def _duration(env: str, unit: str, default: timedelta, environ: Mapping[str, str] | None) -> timedelta:
    raw = settings.given(env, environ)
    if not raw:
        return default
    return _parsed_duration(env, unit, raw)


@functools.lru_cache(maxsize=64)
def _parsed_duration(env: str, unit: str, raw: str) -> timedelta:
    """``raw`` as a duration: asked for at every claim, so each text the setting takes is parsed once."""
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise LedgerInputError(f"setting {env}={raw!r}: expected a positive number of {unit}")
    return timedelta(**{unit: value})


def lease_length(environ: Mapping[str, str] | None = None) -> timedelta:
    """How long a claim on a source record lasts (``ML_LEDGER_LEASE_MINUTES``, default 30)."""
    return _duration(LEASE_MINUTES_ENV, "minutes", DEFAULT_LEASE, environ)


def lease_wait(environ: Mapping[str, str] | None = None) -> timedelta:
    """How long a writer waits for another run's lease (``ML_LEDGER_LEASE_WAIT_SECONDS``, default 60)."""
    return _duration(LEASE_WAIT_ENV, "seconds", DEFAULT_LEASE_WAIT, environ)


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


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class InboxDelivery:
    """A webhook delivery checked and ready to store: credential headers dropped, headers as JSON.

    Built (and so validated) before it joins a group commit, so one unusable delivery is refused on its
    own instead of failing the batch it would have shared with others.
    """

    source: str
    event_id: str
    body: bytes
    headers_json: str

    @property
    def label(self) -> str:
        return f"webhook {self.source} event {self.event_id}"

    @classmethod
    def of(cls, *, source: str, event_id: str, body: bytes, headers: Mapping[str, str]) -> InboxDelivery:
        """Check the arguments as ``Ledger.inbox_put`` does; ``LedgerInputError`` names the bad field."""
        record = f"webhook {source} event {event_id}"
        if not isinstance(body, bytes | bytearray | memoryview):
            raise LedgerInputError(f"{record}: field 'body' must be bytes, got {type(body).__name__}")
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise LedgerInputError(f"{record}: field 'headers' must map header names to string values")
        kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        return cls(
            source=_text(record, "source", source, schema.NAME_LEN),
            event_id=_text(record, "event_id", event_id, schema.KEY_LEN),
            body=bytes(body),
            headers_json=_to_json(record, "headers", kept),
        )


def _inbox_row(delivery: InboxDelivery, received_at: datetime) -> dict[str, Any]:
    return {
        "source": delivery.source,
        "event_id": delivery.event_id,
        "received_at": received_at,
        "status": "pending",
        "attempts": 0,
        "body": delivery.body,
        "headers": delivery.headers_json,
    }


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


# An audit event's own fields; the others (integration, flow, action, run, ...) a write step's batch shares.
_AUDIT_OWN = ("source_id", "target_id", "reason", "detail")
_AUDIT_SHARED = (
    "integration",
    "flow",
    "action",
    "entity",
    "source_system",
    "target_system",
    "run_id",
    "partition_key",
)
_AUDIT_FIELDS = frozenset(_AUDIT_OWN + _AUDIT_SHARED)


def _audit_own(
    record: str,
    source_id: str | None,
    target_id: str | None,
    reason: object,
    detail: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """An audit event's own fields, checked, secrets masked (``Ledger._audit_values``)."""
    if not isinstance(reason, str):
        raise LedgerInputError(f"{record}: field 'reason' must be a string, got {type(reason).__name__}")
    return {
        "source_id": _optional_text(record, "source_id", source_id, schema.KEY_LEN),
        "target_id": _optional_text(record, "target_id", target_id, schema.KEY_LEN),
        "reason": redact(reason),
        "detail": None if detail is None else _to_json(record, "detail", _redact_json(detail)),
    }


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


class Ledger:
    """The ledger bound to one database (SQLite or PostgreSQL); see the module docstring."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = ledger_url(url)
        self.engine: sa.Engine = make_engine(self.url)
        self._reader = read_engine(self.engine)
        self._dialect = self.engine.dialect.name
        self._batches: tuple[DriverBatch, DriverBatch] | None = None  # record_written's, compiled once
        # Written records waiting in a write step's batch, by (integration, entity, target system, target id)
        self._unrecorded: dict[tuple[str, str, str, str], Recording] = {}
        self._unrecorded_lock = threading.Lock()
        # (owner, pid) this process has recorded as holding leases (``_hold``): one insert per owner.
        self._holding: set[tuple[str, int]] = set()
        if migrate:
            migrate_schema(self.engine)

    def __repr__(self) -> str:
        return f"Ledger({describe_url(self.url)})"

    def dispose(self) -> None:
        """Close pooled connections (tests, and before a fork)."""
        self.engine.dispose()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One database transaction: commits when the block ends, rolls back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read_transaction(self, conn: sa.Connection | None = None) -> Iterator[sa.Connection]:
        """A connection for reads only: on SQLite it takes no write lock, so it never waits on writers.
        Given ``conn`` (a caller's transaction), that one, so a read sees what the caller wrote."""
        with self._read(conn) as c:
            yield c

    @contextmanager
    def _write(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as own:
                yield own

    @contextmanager
    def _read(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self._reader.connect() as own:
                yield own

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which (unlike the generic one) knows ON CONFLICT."""
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    # ------------------------------------------------------------------ cross-references

    def _xref_key(
        self, integration: str, entity: str, source_system: str, source_key: str, target_system: str
    ) -> tuple[str, dict[str, str]]:
        label = _xref_label(integration, entity, source_system, source_key, target_system)
        key = {
            "integration": _text(label, "integration", integration, schema.NAME_LEN),
            "entity": _text(label, "entity", entity, schema.NAME_LEN),
            "source_system": _text(label, "source_system", source_system, schema.NAME_LEN),
            "source_key": _text(label, "source_key", source_key, schema.KEY_LEN),
            "target_system": _text(label, "target_system", target_system, schema.NAME_LEN),
        }
        return label, key

    def _flow_page(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_keys: Iterable[str],
        target_system: str,
    ) -> tuple[str, dict[str, str], list[str]]:
        """A page of one flow's source keys, as the page statements take it: the label of its first key,
        the flow's bound parameters (every key column but the source key), and the source keys the ledger
        accepts, each once and in order (one it refuses is left out, for a call of its own to name it in
        its error). The flow's own fields are checked once, not per key; one the ledger refuses leaves no
        key."""
        try:
            self._xref_key(integration, entity, source_system, "key", target_system)
        except LedgerInputError:
            return "", {}, []
        keys = [key for key in dict.fromkeys(source_keys) if _fits(key, schema.KEY_LEN)]
        if not keys:
            return "", {}, []
        label, key = self._xref_key(integration, entity, source_system, keys[0], target_system)
        flow = {name: value for name, value in statements.key_params(key).items() if name != "k_source_key"}
        return label, flow, keys

    def get_xref(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        *,
        conn: sa.Connection | None = None,
    ) -> Xref | None:
        """The cross-reference for a source record, or None if it was never seen."""
        _, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        with self._read(conn) as c:
            row = c.execute(statements.XREF_BY_KEY, statements.key_params(key)).first()
        return Xref(**row._mapping) if row else None

    def get_xrefs(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_keys: Collection[str],
        target_system: str,
    ) -> dict[str, Xref | None]:
        """The cross-references of many source records of one flow in one query (a write step's page of
        look-ups; ``get_xref`` costs a connection checkout and a transaction per record). Every key
        looked up is in the result, None if never seen; a key the ledger would refuse (too long) is left
        out, so the caller looks it up alone and gets its error naming the record."""
        _, params, valid = self._flow_page(integration, entity, source_system, source_keys, target_system)
        if not valid:
            return {}
        found: dict[str, Xref | None] = dict.fromkeys(valid)
        with self._read(None) as c:
            for start in range(0, len(valid), 500):  # bound parameters per statement stay modest
                rows = c.execute(
                    statements.XREFS_BY_KEYS, {**params, "k_source_keys": valid[start : start + 500]}
                )
                for row in rows:
                    found[row.source_key] = Xref(**row._mapping)
        return found

    def find_xref_by_target(
        self,
        integration: str,
        entity: str,
        target_system: str,
        target_id: str,
        *,
        conn: sa.Connection | None = None,
    ) -> Xref | None:
        """The source record a target id belongs to (for webhooks and adopt-on-retry)."""
        label = f"xref {integration}/{entity} {target_system}:{target_id}"
        params = {
            "k_integration": _text(label, "integration", integration, schema.NAME_LEN),
            "k_entity": _text(label, "entity", entity, schema.NAME_LEN),
            "k_target_system": _text(label, "target_system", target_system, schema.NAME_LEN),
            "k_target_id": _text(label, "target_id", target_id, schema.KEY_LEN),
        }
        with self._read(conn) as c:
            row = c.execute(statements.XREF_BY_TARGET, params).first()
            if row is not None:
                return Xref(**row._mapping)
            pending = self._unrecorded.get((integration, entity, target_system, target_id))
            if pending is None:
                return None
            # Written by this process's write step, its target id still in the step's batch: its row as
            # the flush will leave it, so "is this target another record's?" gets the same answer as once
            # it is recorded (a match is never adopted by a second record, nor updated over the first).
            _, key = self._xref_key(
                pending.integration,
                pending.entity,
                pending.source_system,
                pending.source_key,
                pending.target_system,
            )
            claimed = c.execute(statements.XREF_BY_KEY, statements.key_params(key)).first()
        if claimed is None or claimed.target_id is not None:
            return None
        return replace(
            Xref(**claimed._mapping),
            target_id=pending.target_id,
            content_hash=pending.content_hash,
            state="synced",
            lease_owner=None,
            lease_expires_at=None,
        )

    def note_unrecorded(self, recording: Recording) -> None:
        """``recording`` is written to its target and waits in a write step's batch (``flows.deferred``):
        until ``forget_unrecorded``, ``find_xref_by_target`` answers for its target id as if recorded."""
        with self._unrecorded_lock:
            key = (recording.integration, recording.entity, recording.target_system, recording.target_id)
            self._unrecorded[key] = recording

    def forget_unrecorded(self, recordings: Iterable[Recording]) -> None:
        """These are recorded now (or queued as failed): the database answers for them again."""
        with self._unrecorded_lock:
            for recording in recordings:
                key = (recording.integration, recording.entity, recording.target_system, recording.target_id)
                if self._unrecorded.get(key) is recording:
                    del self._unrecorded[key]

    def xrefs_for(self, record_id: str, *, conn: sa.Connection | None = None) -> list[Xref]:
        """Every cross-reference whose source key or target id is ``record_id`` (operator look-ups).

        An operator holding "4343" or "C-100" does not know which integration or system it belongs
        to; this answers for all of them. Flows use ``get_xref`` / ``find_xref_by_target``.
        """
        _text("xref look-up", "record_id", record_id, schema.KEY_LEN)
        t = schema.xref
        query = (
            sa.select(t)
            .where(sa.or_(t.c.source_key == record_id, t.c.target_id == record_id))
            .order_by(t.c.integration, t.c.entity, t.c.id)
        )
        with self._read(conn) as c:
            return [Xref(**row._mapping) for row in c.execute(query)]

    def written_unmarked(
        self,
        integration: str,
        entity: str,
        source_system: str,
        target_system: str,
        *,
        flow: str,
        mark_system: str,
        limit: int = 1000,
        conn: sa.Connection | None = None,
    ) -> list[Xref]:
        """Records written to the target (target id known) whose source was not marked yet, oldest first.

        A source that wants to hear back (Coupa's ``exported`` flag) is marked by a separate call after
        the write; that call is recorded as an ``update`` audit event of ``flow`` on ``mark_system``.
        Asking the ledger, not the run, for what is still unmarked covers every path a record reached
        the target by (a run, a replay, a crash between the write and the mark) with one query.
        """
        label = f"xref {integration}/{entity} {source_system} -> {target_system}"
        x, e = schema.xref, schema.audit_event
        marked = (
            sa.select(e.c.id)
            .where(
                e.c.source_id == x.c.source_key,
                e.c.integration == x.c.integration,
                e.c.flow == _text(label, "flow", flow, schema.FLOW_LEN),
                e.c.action == "update",
                e.c.target_system == _text(label, "mark_system", mark_system, schema.NAME_LEN),
            )
            .exists()
        )
        query = (
            sa.select(x)
            .where(
                x.c.integration == _text(label, "integration", integration, schema.NAME_LEN),
                x.c.entity == _text(label, "entity", entity, schema.NAME_LEN),
                x.c.source_system == _text(label, "source_system", source_system, schema.NAME_LEN),
                x.c.target_system == _text(label, "target_system", target_system, schema.NAME_LEN),
                x.c.target_id.is_not(None),
                ~marked,
            )
            .order_by(x.c.id)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [Xref(**row._mapping) for row in c.execute(query)]

    def claim_xref(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        *,
        owner: str | None = None,
        lease: timedelta | None = None,
        inherits: Collection[str] = (),
        gone: Callable[[str], bool] | None = None,
        first: Callable[[sa.Connection], object] | None = None,
        conn: sa.Connection | None = None,
    ) -> Xref:
        """Record the intent to write a source record (state ``pending``) unless a row exists; with
        ``owner``, also take the record's exclusive lease: only its owner may create it in the target.

        ``first`` runs first in the claim's transaction (a write step's deferred records,
        ``flows.deferred``): they become durable with the claim, in one commit. ``XrefLeased`` is raised
        after that commit, so what ``first`` wrote stays written.

        Recording the intent *before* the create is what makes a crash recoverable: a pending row
        with no target id tells the next attempt to search the target for a record to adopt before
        creating another. Two processes claiming at once both get the same single row.

        The lease is what keeps two runs of one flow and partition from both creating the record (no
        target offers idempotency keys, and BILL has no duplicate check at all). ``owner`` (a run id, or
        a replay's id) gets it when it is free, expired (a killed run's), already its own (a step retry
        renews it), held by one of ``inherits`` (finished runs this run re-executes), or held by an owner
        that has ended: every process holding it has (``ended_owners``), or ``gone`` says so (a run
        Dagster reports finished); it lasts ``lease`` (default ``lease_length()``). Anyone else's live
        lease raises ``XrefLeased`` naming the holder: the caller must not create. A record that already
        has a target id is returned unleased (there is nothing to create; the caller skips or updates).
        One conditional UPDATE decides, so the database, not the callers' timing, picks the single
        winner, on SQLite and PostgreSQL alike.
        """
        label, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        now = _now()
        params = statements.key_params(key)
        length, mine = timedelta(0), [owner]
        if owner is not None:
            _text(label, "owner", owner, schema.RUN_ID_LEN)
            length = lease_length() if lease is None else lease
            if not isinstance(length, timedelta) or length <= timedelta(0):
                raise LedgerInputError(f"{label}: field 'lease' must be a positive timedelta, got {lease!r}")
            mine += [_text(label, "inherits", other, schema.RUN_ID_LEN) for other in inherits]
        with self._write(conn) as c:
            if first is not None:
                first(c)
            c.execute(statements.CLAIM_INSERT[self._dialect], {**params, "now": now})
            before = Xref(**c.execute(statements.XREF_BY_KEY, params).one()._mapping)
            if owner is None or before.target_id is not None:
                return before
            self._hold(c, owner, now)
            other = before.lease_owner if before.lease_owner not in mine else None
            ended = self._owner_ended(c, other, before, now, gone)
            take = {
                **params,
                "mine": [*mine, other] if ended else mine,
                "now": now,
                "owner": owner,
                "expires_at": now + length,
            }
            row = c.execute(statements.TAKE_LEASE, take).first()  # the row as taken, or None
            taken = row is not None
            if row is None:
                row = c.execute(statements.XREF_BY_KEY, params).one()
            after = Xref(**row._mapping)
        if taken:
            if other is not None:
                log.warning(
                    "%s: took over the lease of %s, which %s without a target id recorded; searching the "
                    "target before creating",
                    after.label,
                    other,
                    "ended with its run or process" if ended else f"expired at {before.lease_expires_at}",
                )
            return after
        if after.target_id is not None:  # written by the other run meanwhile: nothing to create
            return after
        until = f"{after.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC" if after.lease_expires_at else "?"
        raise XrefLeased(
            f"{after.label} is being written by {after.lease_owner} (lease until {until}); not created "
            "again by this writer, which would duplicate it in the target",
            owner=after.lease_owner,
            expires_at=after.lease_expires_at,
        )

    def claim_xrefs(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_keys: Collection[str],
        target_system: str,
        *,
        owner: str,
        inherits: Collection[str] = (),
        gone: Callable[[str], bool] | None = None,
        first: Callable[[sa.Connection], object] | None = None,
    ) -> dict[str, Xref]:
        """``claim_xref`` for a page of one flow's source records, in one transaction and one commit: each
        one never seen is recorded as pending, and ``owner`` takes the lease of each one without a target
        id whose lease is free, expired, its own, held by one of ``inherits``, or held by a run ``gone``
        says has ended. Returns the rows whose lease ``owner`` holds now; a key left out (written, leased
        by a live writer, or a value the ledger refuses) is for ``claim_xref`` to decide alone, which waits
        for the other writer or names the record in its error.

        Why: a write step's claims are the one write per record that must be on disk before its create,
        and a commit each is most of the ledger's CPU per record on SQLite (and a round trip or more on
        PostgreSQL). Claimed a page ahead, they become durable in one commit, still before any create. The
        database decides every race as for one claim (one conditional UPDATE), so two runs never both
        hold a record. ``first`` runs first in the transaction (a write step's deferred records)."""
        label, flow, valid = self._flow_page(integration, entity, source_system, source_keys, target_system)
        if not valid:
            return {}
        _text(label, "owner", owner, schema.RUN_ID_LEN)
        mine = [owner, *(_text(label, "inherits", other, schema.RUN_ID_LEN) for other in inherits)]
        now = _now()
        expires_at = now + lease_length()
        taken: dict[str, Xref] = {}
        others: dict[str, Any] = {}  # leases of other owners found on the page, before it was claimed
        ended: dict[str, bool] = {}  # other owners, and whether ``gone`` says their run has ended
        with self.transaction() as c:
            if first is not None:
                first(c)
            self._hold(c, owner, now)
            insert = statements.CLAIM_INSERT[self._dialect]
            c.execute(insert, [{**flow, "k_source_key": source_key, "now": now} for source_key in valid])
            for start in range(0, len(valid), 500):  # bound parameters per statement stay modest
                page = {**flow, "k_source_keys": valid[start : start + 500], "mine": mine}
                rows = c.execute(statements.LEASES_OF_OTHERS, page).all()
                others.update((row.source_key, row) for row in rows)
                new = {row.lease_owner for row in rows if _live(row, now)} - ended.keys()
                dead = self.ended_owners(new, conn=c)
                for other in new:
                    ended[other] = other in dead or (gone is not None and gone(other))
                finished = sorted(other for other, is_gone in ended.items() if is_gone)
                take = {**page, "mine": mine + finished, "now": now, "owner": owner, "expires_at": expires_at}
                for row in c.execute(statements.TAKE_LEASES, take):
                    taken[row.source_key] = Xref(**row._mapping)
        for source_key in taken.keys() & others.keys():
            before = others[source_key]
            log.warning(
                "%s: took over the lease of %s, which %s without a target id recorded; searching the "
                "target before creating",
                taken[source_key].label,
                before.lease_owner,
                "ended with its run or process"
                if ended.get(before.lease_owner)
                else f"expired at {before.lease_expires_at}",
            )
        return taken

    # ------------------------------------------------------------------ lease holders

    def _hold(self, c: sa.Connection, owner: str, now: datetime) -> None:
        """Record, in the claim's transaction, that this process holds leases for ``owner``: a lease is
        never on disk without the process that holds it (``ended_owners``). Once per owner and process;
        the first time, rows older than ``HOLDERS_KEPT`` are pruned (their leases lapsed long ago)."""
        key = (owner, os.getpid())
        if key in self._holding:
            return
        h = schema.lease_holder
        if not self._holding:
            c.execute(sa.delete(h).where(h.c.registered_at < now - HOLDERS_KEPT))
        process = ProcessIdentity.current().as_text()
        row = {"owner": owner, "process": process, "registered_at": now}
        c.execute(self._insert(h).values(row).on_conflict_do_nothing())
        self._holding.add(key)

    def _owner_ended(
        self,
        c: sa.Connection,
        other: str | None,
        row: Xref,
        now: datetime,
        gone: Callable[[str], bool] | None,
    ) -> bool:
        """Whether ``other``'s live lease on ``row`` is held by an owner that has ended (``claim_xref``)."""
        if other is None or not _live(row, now):
            return False
        return bool(self.ended_owners([other], conn=c)) or (gone is not None and gone(other))

    def ended_owners(self, owners: Collection[str], *, conn: sa.Connection | None = None) -> set[str]:
        """The lease owners among ``owners`` every one of whose processes has provably ended (killed, or
        exited without ending its leases; ``ProcessIdentity.ended``): their leases are taken over at once.

        An owner with no process recorded (a lease from before this was kept), or with one on another
        host or still running, is not among them: its lease is respected until it ends or expires."""
        wanted = sorted({owner for owner in owners if owner})
        if not wanted:
            return set()
        h = schema.lease_holder
        with self._read(conn) as c:
            rows = c.execute(sa.select(h.c.owner, h.c.process).where(h.c.owner.in_(wanted))).all()
        seen, alive = set(), set()
        for owner, process in rows:
            seen.add(owner)
            identity = ProcessIdentity.parse(process)
            if identity is None or not identity.ended():
                alive.add(owner)
        return seen - alive

    def release_xrefs(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_keys: Collection[str],
        target_system: str,
        *,
        owner: str,
    ) -> int:
        """End ``owner``'s leases on these source records where no target id was recorded (a write step's
        claims ahead it never used, ``claim_xrefs``); how many ended."""
        label, flow, keys = self._flow_page(integration, entity, source_system, source_keys, target_system)
        if not keys:
            return 0
        owner = _text(label, "owner", owner, schema.RUN_ID_LEN)
        released = 0
        with self.transaction() as c:
            for start in range(0, len(keys), 500):
                page = {**flow, "k_source_keys": keys[start : start + 500], "owner": owner}
                released += c.execute(statements.RELEASE_LEASES, page).rowcount
        return released

    def release_xref(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        *,
        owner: str,
        conn: sa.Connection | None = None,
    ) -> bool:
        """End ``owner``'s lease on a source record (its write failed); False if it was not ``owner``'s.

        The next writer then claims at once instead of waiting for the expiry, and searches the target
        before creating (the failed attempt may have created the record after all). Recording the target
        id ends the lease as well (``record_target``).
        """
        label, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        params = {**statements.key_params(key), "owner": _text(label, "owner", owner, schema.RUN_ID_LEN)}
        with self._write(conn) as c:
            return c.execute(statements.RELEASE_LEASE, params).rowcount == 1

    def release_lapsed_holds(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        now: datetime | None = None,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Make due the held items that wait for *their own* record while nobody is writing it any more.

        A writer that finds a record leased by another run holds it on the record's own dependency key
        (``XrefLeased``): the holder's write releases it (``release_held``), its failure queues it as
        failed. Only a holder that was killed does neither; once its lease has lapsed, or its holder's
        processes are known to have ended (``ended_owners``), with no target id recorded, this releases
        the record for replay, which takes the claim and searches the target before creating. Returns the
        released items (the caller appends their audit events).
        """
        now = _now() if now is None else _aware("retry queue", "now", now)
        q, x = schema.retry_queue, schema.xref
        own_key = x.c.integration + ":" + x.c.entity + ":" + x.c.source_system + ":" + x.c.source_key
        held = self.queue_filters(
            sa.select(q.c.id, x.c.lease_owner, x.c.lease_expires_at)
            .join(
                x,
                sa.and_(
                    x.c.integration == q.c.integration,
                    x.c.entity == q.c.entity,
                    x.c.source_key == q.c.source_key,
                    own_key == q.c.depends_on,
                ),
            )
            .where(q.c.status == "held", x.c.target_id.is_(None)),
            integration,
            flow,
        )
        reason = (
            f"released at {now:%Y-%m-%d %H:%M:%S} UTC: the run that was writing this record ended without "
            "recording it in the target (it stopped: its process ended, or its lease lapsed); due for "
            "replay, which searches the target before creating"
        )
        with self._write(conn) as c:
            rows = c.execute(held).all()
            ended = self.ended_owners({row.lease_owner for row in rows if _live(row, now)}, conn=c)
            lapsed = sorted(row.id for row in rows if not _live(row, now) or row.lease_owner in ended)
            if not lapsed:
                return []
            release = (
                sa.update(q)
                .where(q.c.id.in_(lapsed), q.c.status == "held")
                .values(status="failed", next_attempt_at=now, reason=reason, updated_at=now)
                .returning(*q.c)
            )
            released = c.execute(release).all()
        return sorted((self.queue_item(row) for row in released), key=lambda item: item.id)

    def record_target(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        target_id: str,
        content_hash: str,
        *,
        conn: sa.Connection | None = None,
    ) -> Xref:
        """Store the target id (the moment it is known) and the hash of what was written; ends the lease.

        Writing the same target id again (an update) just refreshes the hash. A *different* target
        id for the same source, or a target id that already belongs to another source, raises
        ``XrefConflict``: both mean a duplicate in the target system. A manual match is never
        overwritten: recording any other target id for it raises, the same target id keeps it manual.
        The decision is taken by the database (a conditional UPDATE and the unique index), so it
        holds when two processes race; a conflict leaves the caller's transaction usable.
        """
        label, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        _text(label, "target_id", target_id, schema.KEY_LEN)
        _text(label, "content_hash", content_hash, schema.HASH_LEN)
        params = statements.key_params(key)
        update = {**params, "new_target_id": target_id, "new_hash": content_hash, "now": _now()}
        with self._write(conn) as c:
            # One statement in the usual case (the row was claimed before the create): the conditional
            # UPDATE refuses another target id, the unique index a target id that is another's.
            moved = self._record_target(c, statements.RECORD_TARGET, update, key)
            if moved is None:  # never claimed (a manual path), or it holds another target id
                current = self.get_xref(**key, conn=c) or self.claim_xref(**key, conn=c)
                if current.target_id is not None and current.target_id != target_id:
                    raise self._different_target(current, target_id)
                self._check_target_free(current, target_id, c)
                moved = self._record_target(
                    c, statements.RECORD_TARGET_BY_ID, {**update, "k_id": current.id}, key
                )
                if moved is None:
                    # Another process recorded a different target between our claim and our update.
                    latest = self.get_xref(**key, conn=c)
                    assert latest is not None  # claimed above, in this transaction
                    raise self._different_target(latest, target_id)
        return moved

    def _record_target(
        self, c: sa.Connection, statement: sa.Executable, params: dict[str, Any], key: dict[str, str]
    ) -> Xref | None:
        """Run one of the ``RECORD_TARGET`` updates; the row as recorded, or None if it matched none.

        On PostgreSQL in a savepoint, so a unique violation (another source won the target meanwhile)
        does not poison the caller's transaction; SQLite undoes only the failing statement, never the
        transaction, so it needs none (two statements fewer). A unique violation on the target index
        becomes the ``XrefConflict`` naming the other source record."""
        try:
            with c.begin_nested() if self._dialect == "postgresql" else nullcontext():
                row = c.execute(statement, params).first()
        except IntegrityError:
            current = self.get_xref(**key, conn=c)
            if current is not None:
                self._check_target_free(current, params["new_target_id"], c)
            raise  # not the target index after all: let the real error surface
        return Xref(**row._mapping) if row is not None else None

    def record_written(self, recordings: Sequence[Recording], *, conn: sa.Connection) -> Recorded:
        """Record many written records at once in ``conn``'s transaction (a write step's deferred batch,
        ``flows.deferred``): each one's target id and hash, and its audit event. Returns, per recording,
        whether it was recorded (one that was not is left exactly as it was, for ``record_target`` and
        ``audit`` to record alone: they raise its conflict, or adopt a row that was never claimed), and
        which of those recorded have retry-queue items held on them (so only those pay for a release).

        Why a batch: recording one record costs two statements, and on PostgreSQL each is a round trip
        whose CPU (kernel and driver, about 150 us over loopback) is many times a record's mapping. Here,
        on SQLite, the updates are one ``executemany`` whose summed row count shows whether every one was
        recorded (a query reads them back only when it does not), then one query for the held items; on
        PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` per flow returns the rows it updated, each with
        whether items are held on it (``driver_batch.ValuesUpdate``). The audit events are one
        ``executemany`` or one multi-row INSERT. A unique violation (a target id that is another source
        record's) fails the whole update; then nothing here is recorded (on PostgreSQL the savepoint
        undoes it; on SQLite the rows updated before it hold the same values ``record_target`` writes
        again), and each is recorded alone, where the conflict is named.
        """
        done = [False] * len(recordings)
        nothing = Recorded(done, frozenset())
        updates: list[dict[str, Any]] = []
        audits: dict[int, dict[str, Any]] = {}
        update, insert = self._driver_batches()
        now = _now()  # one time for the batch, converted for the driver once
        stamped, at = update.typed("now", now), insert.typed("at", now)
        flows: set[tuple[str, str, str, str]] = set()  # flow keys checked (a batch has one, or a few)
        shared: dict[tuple[Any, ...], dict[str, Any]] = {}  # audit rows by the fields a batch shares
        masked: dict[str, str] = {}  # each distinct reason of the batch, secrets masked once
        keys: set[tuple[str, ...]] = set()
        for n, item in enumerate(recordings):
            try:  # a value the ledger refuses: left for record_target, whose error names the record
                flow = self._flow_key(item)
                if flow not in flows:
                    self._xref_key(*flow[:3], item.source_key, flow[3])
                    flows.add(flow)
                if not (
                    _fits(item.source_key, schema.KEY_LEN)
                    and _fits(item.target_id, schema.KEY_LEN)
                    and _fits(item.content_hash, schema.HASH_LEN)
                ):  # the label is built only for the error that names the record and the field
                    label = _xref_label(*flow[:3], item.source_key, flow[3])
                    _text(label, "source_key", item.source_key, schema.KEY_LEN)
                    _text(label, "target_id", item.target_id, schema.KEY_LEN)
                    _text(label, "content_hash", item.content_hash, schema.HASH_LEN)
                audits[n] = self._batch_audit_row(item, shared, masked, at)
            except LedgerInputError:
                continue
            keys.add(flow + (item.source_key,))
            updates.append(
                {
                    "k_integration": item.integration,
                    "k_entity": item.entity,
                    "k_source_system": item.source_system,
                    "k_source_key": item.source_key,
                    "k_target_system": item.target_system,
                    "new_target_id": item.target_id,
                    "new_hash": item.content_hash,
                    "now": stamped,
                }
            )
        if not updates:
            return nothing
        by_values = self._dialect == "postgresql" and len(keys) == len(updates)
        try:
            with conn.begin_nested() if self._dialect == "postgresql" else nullcontext():
                if by_values:
                    updated = self._update_by_values(conn, updates)
                else:
                    changed = update.run(conn, updates)
        except (IntegrityError, self.engine.dialect.dbapi.IntegrityError):  # type: ignore[union-attr]
            return nothing
        held: frozenset[str] | None = None
        if by_values:  # the statement returned the rows it updated, and which have items held on them
            for n in audits:
                item = recordings[n]
                done[n] = self._flow_key(item) + (item.source_key,) in updated
            held = frozenset(
                dependency_key(*key[:3], key[4]) for key, waited_on in updated.items() if waited_on
            )
        elif changed == len(updates) == len(keys):
            # Each update matches one row at most (the xref key is unique) and no key came twice, so a
            # total equal to the number of updates means every one of them was recorded as given.
            for n in audits:
                done[n] = True
        else:
            recorded = self._recorded_targets(recordings, [n for n in audits], conn)
            for n in audits:
                item = recordings[n]
                done[n] = recorded.get(self._flow_key(item) + (item.source_key,)) == (
                    item.target_id,
                    item.content_hash,
                )
        insert.run(conn, [audits[n] for n in audits if done[n]])
        if held is None:
            recorded = [recordings[n] for n in audits if done[n]]
            held = self.held_on(
                [dependency_key(r.integration, r.entity, r.source_system, r.source_key) for r in recorded],
                conn=conn,
            )
        return Recorded(done, held)

    @staticmethod
    def _update_by_values(conn: sa.Connection, updates: list[dict[str, Any]]) -> dict[tuple[str, ...], bool]:
        """PostgreSQL: ``updates`` recorded by one ``ValuesUpdate`` statement per flow; the flow keys +
        source keys it updated, each with whether items are held on it."""
        by_flow: dict[tuple[str, str, str, str, Any], list[tuple[str, str, str]]] = {}
        for row in updates:
            flow = (row["k_integration"], row["k_entity"], row["k_source_system"], row["k_target_system"])
            by_flow.setdefault((*flow, row["now"]), []).append(
                (row["k_source_key"], row["new_target_id"], row["new_hash"])
            )
        updated: dict[tuple[str, ...], bool] = {}
        for (integration, entity, source_system, target_system, now), rows in by_flow.items():
            flow = {
                "integration": integration,
                "entity": entity,
                "source_system": source_system,
                "target_system": target_system,
                "now": now,
            }
            for source_key, waited_on in _VALUES_UPDATE.run(conn, flow, rows).items():
                updated[(integration, entity, source_system, target_system, source_key)] = waited_on
        return updated

    def _driver_batches(self) -> tuple[DriverBatch, DriverBatch]:
        """``record_written``'s two statements, compiled once for this ledger's database."""
        if self._batches is None:
            dialect = self.engine.dialect
            self._batches = (
                DriverBatch(statements.RECORD_TARGET_MANY, dialect),
                DriverBatch(statements.AUDIT_INSERT_ROWS, dialect, insert=True),
            )
        return self._batches

    def _batch_audit_row(
        self,
        item: Recording,
        shared: dict[tuple[Any, ...], dict[str, Any]],
        masked: dict[str, str],
        at: Any,
    ) -> dict[str, Any]:
        """``item``'s audit row: the fields it shares with the batch's other records (flow, action, run)
        are checked once per distinct set (``shared``), its own (source id, target id, reason) each time,
        except what ``record_written`` checked already (its source key and target id) and a reason seen
        earlier in the batch (``masked``: masked once)."""
        audit = item.audit
        if audit.keys() <= _AUDIT_FIELDS:  # the usual event: its shared fields read in one C call
            key: tuple[Any, ...] = (len(audit), *map(audit.get, _AUDIT_SHARED))
        else:  # a field ``audit`` does not take: ``_audit_values`` names it in its error
            key = (len(audit), *(value for field, value in audit.items() if field not in _AUDIT_OWN))
        template = shared.get(key)
        if template is None:
            template = shared[key] = self._audit_values(**{**audit, "target_id": item.target_id})
        source_id, reason, detail = audit.get("source_id"), audit.get("reason", ""), audit.get("detail")
        if source_id == item.source_key and detail is None and isinstance(reason, str):
            if reason not in masked:
                masked[reason] = redact(reason)
            own = {
                "source_id": source_id,
                "target_id": item.target_id,
                "reason": masked[reason],
                "detail": None,
            }
        else:
            own = _audit_own(
                f"audit event {audit['integration']}/{audit['flow']} {item.source_key}",
                source_id,
                item.target_id,
                reason,
                detail,
            )
        return {**template, **own, "at": at}

    @staticmethod
    def _flow_key(item: Recording) -> tuple[str, str, str, str]:
        return (item.integration, item.entity, item.source_system, item.target_system)

    def _recorded_targets(
        self, recordings: Sequence[Recording], indexes: list[int], conn: sa.Connection
    ) -> dict[tuple[str, ...], tuple[str | None, str | None]]:
        """(flow key + source key) -> (target id, content hash) as the ledger holds them now."""
        by_flow: dict[tuple[str, str, str, str], list[str]] = {}
        for n in indexes:
            by_flow.setdefault(self._flow_key(recordings[n]), []).append(recordings[n].source_key)
        found: dict[tuple[str, ...], tuple[str | None, str | None]] = {}
        for flow, keys in by_flow.items():
            integration, entity, source_system, target_system = flow
            params = {
                "k_integration": integration,
                "k_entity": entity,
                "k_source_system": source_system,
                "k_target_system": target_system,
            }
            for start in range(0, len(keys), 500):
                rows = conn.execute(
                    statements.TARGETS_BY_KEYS, {**params, "k_source_keys": keys[start : start + 500]}
                )
                for source_key, target_id, content_hash in rows:
                    found[flow + (source_key,)] = (target_id, content_hash)
        return found

    def held_on(self, depends_on: Collection[str], *, conn: sa.Connection) -> frozenset[str]:
        """Which of these dependency keys have retry-queue items held on them: one query for a batch of
        written records, so only those with something waiting pay for a release (``release_held_items``)."""
        keys = sorted({key for key in depends_on if len(key) <= schema.DEPENDS_ON_LEN})
        held: set[str] = set()
        for start in range(0, len(keys), 500):
            held |= driver_held_on(conn, schema.retry_queue, keys[start : start + 500])
        return frozenset(held)

    def set_manual_override(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        target_id: str,
        *,
        entered_by: str,
        note: str = "",
        conn: sa.Connection | None = None,
    ) -> Xref:
        """A user's match of a source record to an existing target record (e.g. a vendor match).

        Manual rows are never overwritten by automated writes (``record_target`` raises instead).
        Re-pointing to another target forgets the content hash, because nothing is known about what
        that record holds: the next sync sends an update rather than skipping. The caller records
        the matching audit event (it knows the flow and the run).
        """
        label, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        _text(label, "target_id", target_id, schema.KEY_LEN)
        _text(label, "entered_by", entered_by, schema.KEY_LEN)
        if not isinstance(note, str):
            raise LedgerInputError(f"{label}: field 'note' must be a string, got {type(note).__name__}")
        t = schema.xref
        with self._write(conn) as c:
            current = self.claim_xref(**key, conn=c)
            self._check_target_free(current, target_id, c)
            keep_hash = current.content_hash if current.target_id == target_id else None
            update = (
                sa.update(t)
                .where(t.c.id == current.id)
                .values(
                    target_id=target_id,
                    content_hash=keep_hash,
                    state="synced",
                    manual=True,
                    entered_by=entered_by,
                    note=note,
                    updated_at=_now(),
                )
            )
            try:
                with c.begin_nested():
                    c.execute(update)
            except IntegrityError:
                self._check_target_free(current, target_id, c)
                raise
            latest = self.get_xref(**key, conn=c)
            assert latest is not None
        log.info("manual match %s = %s entered by %s", latest.label, target_id, entered_by)
        return latest

    def manual_matches(
        self, integration: str, entity: str | None = None, *, conn: sa.Connection | None = None
    ) -> list[Xref]:
        """Every manual match of ``integration`` (of ``entity`` only, when given), by entity and source key.

        What ``ml-connector xref list`` shows: who entered each match, when, and why (the note).
        """
        label = f"manual matches of {integration}"
        t = schema.xref
        query = sa.select(t).where(
            t.c.integration == _text(label, "integration", integration, schema.NAME_LEN),
            t.c.manual.is_(True),
        )
        if entity is not None:
            query = query.where(t.c.entity == _text(label, "entity", entity, schema.NAME_LEN))
        with self._read(conn) as c:
            rows = [Xref(**row._mapping) for row in c.execute(query)]
        return sorted(rows, key=lambda x: (x.entity, x.source_system, _natural(x.source_key), x.id))

    def unmatch_xref(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_key: str,
        target_system: str,
        *,
        only_manual: bool = True,
        conn: sa.Connection | None = None,
    ) -> Xref | None:
        """Forget a source record's target: the row stays (its history reads on), but it is no longer
        manual, has no target id and no content hash, so the flows match the record again on their next
        run. Returns the row as it was before, or None when there was nothing to forget (no row, no
        target, or, with ``only_manual``, a row a flow made: deleting a manual match must never undo a
        flow's pair). The caller records the audit event (it knows who asked and why).

        ``only_manual=False`` is for an operator replacing a pair a flow made with a manual match of the
        same records (``ml-connector xref set --replace``).
        """
        label, key = self._xref_key(integration, entity, source_system, source_key, target_system)
        t = schema.xref
        with self._write(conn) as c:
            current = self.get_xref(**key, conn=c)
            if current is None or current.target_id is None or (only_manual and not current.manual):
                return None
            forget = (
                sa.update(t)
                .where(t.c.id == current.id, t.c.target_id == current.target_id)
                .values(
                    target_id=None,
                    content_hash=None,
                    state="pending",
                    manual=False,
                    entered_by=None,
                    note=None,
                    updated_at=_now(),
                )
            )
            if c.execute(forget).rowcount != 1:  # changed meanwhile: the caller looks again
                return None
        log.info(
            "%s: target %s forgotten (was %s)",
            label,
            current.target_id,
            "manual" if current.manual else "a flow's",
        )
        return current

    def _check_target_free(self, current: Xref, target_id: str, conn: sa.Connection) -> None:
        holder = self.find_xref_by_target(
            current.integration, current.entity, current.target_system, target_id, conn=conn
        )
        if holder is not None and holder.id != current.id:
            raise XrefConflict(
                f"{current.target_system} {current.entity} {target_id} is already the counterpart of "
                f"{holder.source_system}:{holder.source_key}; it cannot also be recorded for "
                f"{current.source_system}:{current.source_key} ({current.label}). One of the two is a "
                "duplicate: fix the match, then re-run.",
                recorded_target_id=target_id,
                attempted_target_id=target_id,
                other_source_key=holder.source_key,
            )

    @staticmethod
    def _different_target(current: Xref, attempted: str) -> XrefConflict:
        how = f"a manual match entered by {current.entered_by}" if current.manual else "recorded"
        return XrefConflict(
            f"{current.label} already has target id {current.target_id} ({how}); refusing to record "
            f"{attempted} as well. The target system probably holds a duplicate: check both records, "
            "then correct the match.",
            recorded_target_id=current.target_id,
            attempted_target_id=attempted,
        )

    # ------------------------------------------------------------------ audit trail

    def audit_item(
        self,
        item: QueueItem,
        action: str,
        reason: str,
        *,
        run_id: str | None = None,
        target_id: str | None = None,
        conn: sa.Connection | None = None,
    ) -> int:
        """The audit event of what became of a queue item (held, failed, replayed, released), under its
        own flow and key, so the record's history says why it moved."""
        return self.audit(
            integration=item.integration,
            flow=item.flow,
            entity=item.entity,
            action=action,
            source_id=item.source_key,
            target_id=target_id,
            reason=reason,
            run_id=run_id,
            conn=conn,
        )

    def audit(
        self,
        *,
        integration: str,
        flow: str,
        action: str,
        reason: str = "",
        entity: str | None = None,
        source_system: str | None = None,
        source_id: str | None = None,
        target_system: str | None = None,
        target_id: str | None = None,
        run_id: str | None = None,
        partition_key: str | None = None,
        detail: Mapping[str, Any] | None = None,
        conn: sa.Connection | None = None,
    ) -> int:
        """Append one event to the audit trail and return its id.

        ``reason`` is what a finance user reads ("supplier 4343 has no tax ID in JDE"). ``reason``
        and ``detail`` often carry server error text, so secrets are masked before they are stored:
        the trail is append-only and could never be cleaned afterwards.
        """
        values = self._audit_values(
            integration=integration,
            flow=flow,
            action=action,
            reason=reason,
            entity=entity,
            source_system=source_system,
            source_id=source_id,
            target_system=target_system,
            target_id=target_id,
            run_id=run_id,
            partition_key=partition_key,
            detail=detail,
        )
        with self._write(conn) as c:
            result = c.execute(statements.AUDIT_INSERT, values)
            return int(result.inserted_primary_key[0])

    @staticmethod
    def _audit_values(
        *,
        integration: str,
        flow: str,
        action: str,
        reason: str = "",
        entity: str | None = None,
        source_system: str | None = None,
        source_id: str | None = None,
        target_system: str | None = None,
        target_id: str | None = None,
        run_id: str | None = None,
        partition_key: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One audit event's row, checked and with secrets masked (``audit``; ``record_written`` many)."""
        record = f"audit event {integration}/{flow} {source_id or target_id or ''}".rstrip()
        if action not in schema.AUDIT_ACTIONS:
            raise LedgerInputError(
                f"{record}: field 'action' is {action!r}; expected one of {', '.join(schema.AUDIT_ACTIONS)}"
            )
        return {
            "at": _now(),
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "flow": _text(record, "flow", flow, schema.FLOW_LEN),
            "entity": _optional_text(record, "entity", entity, schema.NAME_LEN),
            "source_system": _optional_text(record, "source_system", source_system, schema.NAME_LEN),
            "target_system": _optional_text(record, "target_system", target_system, schema.NAME_LEN),
            "action": action,
            "run_id": _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN),
            "partition_key": _optional_text(record, "partition_key", partition_key, schema.KEY_LEN),
            **_audit_own(record, source_id, target_id, reason, detail),
        }

    def history(self, record_id: str, *, conn: sa.Connection | None = None) -> list[AuditEvent]:
        """Every audit event naming ``record_id`` as its source or its target id, oldest first."""
        _text("audit history", "record_id", record_id, schema.KEY_LEN)
        t = schema.audit_event
        query = (
            sa.select(t)
            .where(sa.or_(t.c.source_id == record_id, t.c.target_id == record_id))
            .order_by(t.c.at, t.c.id)
        )
        with self._read(conn) as c:
            rows = c.execute(query).all()
        return [self._audit_event(row) for row in rows]

    @staticmethod
    def _audit_event(row: sa.Row[Any]) -> AuditEvent:
        data = dict(row._mapping)
        data["detail"] = json.loads(data["detail"]) if data["detail"] is not None else None
        return AuditEvent(**data)

    # ------------------------------------------------------------------ retry queue

    def enqueue(
        self,
        *,
        integration: str,
        flow: str,
        entity: str,
        source_key: str,
        payload: Mapping[str, Any],
        reason: str,
        status: str = "failed",
        depends_on: str | None = None,
        next_attempt_at: datetime | None = None,
        run_id: str | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueItem:
        """Put a record on the retry queue, or refresh its open item if it already has one.

        ``failed`` items are due at ``next_attempt_at`` (default: now). ``held`` items wait for the
        record named by ``depends_on`` (e.g. ``coupa:supplier:JDE:4343``) and only become due when
        ``release_held`` is called with that key. A ``failed`` record is a failed attempt to write it, so
        it counts one (the first failure of a run shows ``attempts=1``, a record failing on every run
        counts up instead of looking new each time); holding a record is waiting, not failing, and keeps
        the count. Re-enqueueing replaces reason, payload, status and schedule with the latest ones. The
        upsert is one statement, so racing runs cannot open two.
        """
        record = f"queue item {integration}/{flow} {source_key}"
        if status not in schema.QUEUE_OPEN_STATUSES:
            raise LedgerInputError(
                f"{record}: field 'status' is {status!r}; enqueue accepts 'failed' or 'held'"
            )
        if status == "held" and not depends_on:
            raise LedgerInputError(f"{record}: field 'depends_on' is required for a held record")
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"{record}: field 'reason' must say why the record is queued")
        now = _now()
        if next_attempt_at is not None:
            next_attempt_at = _aware(record, "next_attempt_at", next_attempt_at)
        elif status == "failed":
            next_attempt_at = now
        t = schema.retry_queue
        values = {
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "flow": _text(record, "flow", flow, schema.FLOW_LEN),
            "entity": _text(record, "entity", entity, schema.NAME_LEN),
            "source_key": _text(record, "source_key", source_key, schema.KEY_LEN),
            "payload": _to_json(record, "payload", payload),
            "reason": redact(reason),
            "status": status,
            "attempts": 1 if status == "failed" else 0,
            "next_attempt_at": next_attempt_at,
            "depends_on": _optional_text(record, "depends_on", depends_on, schema.DEPENDS_ON_LEN),
            "last_run_id": _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN),
            "created_at": now,
            "updated_at": now,
        }
        insert = self._insert(t).values(**values)
        excluded = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=[t.c.integration, t.c.flow, t.c.source_key],
            index_where=sa.text(schema.QUEUE_OPEN_PREDICATE),
            set_={
                "entity": excluded.entity,
                "payload": excluded.payload,
                "reason": excluded.reason,
                "status": excluded.status,
                "attempts": t.c.attempts + (1 if status == "failed" else 0),
                "next_attempt_at": excluded.next_attempt_at,
                "depends_on": excluded.depends_on,
                "last_run_id": sa.func.coalesce(excluded.last_run_id, t.c.last_run_id),
                "updated_at": excluded.updated_at,
            },
        ).returning(*t.c)
        with self._write(conn) as c:
            row = c.execute(upsert).one()
        return self.queue_item(row)

    def due(
        self,
        *,
        now: datetime | None = None,
        integration: str | None = None,
        flow: str | None = None,
        limit: int = 100,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Failed items whose next attempt is due, longest-waiting first."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        t = schema.retry_queue
        query = sa.select(t).where(t.c.status == "failed", t.c.next_attempt_at <= now)
        query = self.queue_filters(query, integration, flow)
        query = query.order_by(t.c.next_attempt_at, t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def open_items(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        status: str | None = None,
        limit: int = 1000,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Queue items for display: open ones (failed and held) by default, or those with ``status``."""
        if status is not None and status not in schema.QUEUE_STATUSES:
            raise LedgerInputError(
                f"retry queue: field 'status' is {status!r}; "
                f"expected one of {', '.join(schema.QUEUE_STATUSES)}"
            )
        t = schema.retry_queue
        statuses = (status,) if status else schema.QUEUE_OPEN_STATUSES
        query = self.queue_filters(sa.select(t).where(t.c.status.in_(statuses)), integration, flow)
        query = query.order_by(t.c.created_at, t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def record_attempt_failure(
        self,
        item_id: int,
        reason: str,
        *,
        retry_in: timedelta,
        run_id: str | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueItem:
        """Count a failed retry of an open item and schedule the next one ``retry_in`` from now."""
        record = f"queue item {item_id}"
        if not isinstance(retry_in, timedelta) or retry_in < timedelta(0):
            raise LedgerInputError(
                f"{record}: field 'retry_in' must be a non-negative timedelta, got {retry_in!r}"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"{record}: field 'reason' must say why the attempt failed")
        _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN)
        t = schema.retry_queue
        now = _now()
        update = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.status.in_(schema.QUEUE_OPEN_STATUSES))
            .values(
                attempts=t.c.attempts + 1,
                next_attempt_at=now + retry_in,
                reason=redact(reason),
                last_run_id=sa.func.coalesce(run_id, t.c.last_run_id),
                updated_at=now,
            )
            .returning(*t.c)
        )
        with self._write(conn) as c:
            row = c.execute(update).first()
            if row is None:
                raise self._not_open(item_id, c)
        return self.queue_item(row)

    def waited_for(self, prefix: str, *, limit: int = 10_000, conn: sa.Connection | None = None) -> list[str]:
        """Dependency keys starting with ``prefix`` that held records wait for, sorted.

        A held purchase order waits for its supplier to sync; when that supplier changed before the
        window a sync reads, nothing would ever sync it. The suppliers flow asks this to fetch them.
        """
        _text("held dependencies", "prefix", prefix, schema.KEY_LEN)
        t = schema.retry_queue
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            sa.select(t.c.depends_on)
            .where(t.c.status == "held", t.c.depends_on.like(f"{escaped}%", escape="\\"))
            .distinct()
            .order_by(t.c.depends_on)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [row[0] for row in c.execute(query)]

    def resolve(self, item_id: int, *, reason: str | None = None, conn: sa.Connection | None = None) -> None:
        """Mark an item done (its record synced). Resolving twice is harmless: replays may overlap.

        ``reason`` (how it was written) replaces the last failure's, so a resolved item does not read
        as if it still failed."""
        t = schema.retry_queue
        now = _now()
        values: dict[str, Any] = {"status": "resolved", "resolved_at": now, "updated_at": now}
        if reason is not None and reason.strip():
            values["reason"] = redact(reason)
        update = sa.update(t).where(t.c.id == item_id, t.c.status != "resolved").values(**values)
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0 and self._queue_status(item_id, c) is None:
                raise LedgerRecordNotFound(f"queue item {item_id} does not exist")

    def take_queue_item(
        self,
        item: QueueItem,
        *,
        hold_for: timedelta,
        owner: str | None = None,
        conn: sa.Connection | None = None,
    ) -> bool:
        """Take ``item`` for one replay: True if this caller has it now, False if another replay (or a run)
        changed it since it was read (took, resolved or failed it again), so this caller leaves it alone.

        One conditional UPDATE on the ``updated_at`` the caller read decides between concurrent replays;
        it also moves the item's next attempt ``hold_for`` ahead, so a replay that lists due items later
        does not pick it. With ``owner`` (the replay's id) the take is recorded with this process as its
        holder: a replay killed holding it leaves it due again as soon as its process is known to have
        ended (``release_dead_takes``), not only after ``hold_for``; and while the take is in force, no
        other replay takes the item, even one that replays items not yet due.
        """
        t, k = schema.retry_queue, schema.queue_take
        now = _now()
        until = now + hold_for
        # Another replay's take still in force (its hold is still the item's next attempt: it has not
        # finished the item) is left alone, even by a replay that chooses items not yet due.
        taken_by_another = (
            sa.exists()
            .where(k.c.item_id == t.c.id, k.c.until > now, k.c.until == t.c.next_attempt_at)
            .where(k.c.owner != owner if owner is not None else sa.true())
        )
        update = (
            sa.update(t)
            .where(
                t.c.id == item.id,
                t.c.status.in_(schema.QUEUE_OPEN_STATUSES),
                t.c.updated_at == item.updated_at,
                ~taken_by_another,
            )
            .values(updated_at=now, next_attempt_at=until)
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount != 1:
                return False
            if owner is not None:
                owner = _text(f"queue item {item.id}", "owner", owner, schema.RUN_ID_LEN)
                self._hold(c, owner, now)
                take = {"item_id": item.id, "owner": owner, "until": until}
                c.execute(
                    self._insert(schema.queue_take)
                    .values(take)
                    .on_conflict_do_update(index_elements=["item_id"], set_={"owner": owner, "until": until})
                )
            return True

    def release_dead_takes(self, *, now: datetime | None = None) -> list[int]:
        """Make due again the items a replay took and still holds (their next attempt is the take's
        hold) whose replay's process has ended (killed mid-replay): the next replay writes them at once
        instead of after the hold. Returns their ids. Takes that ended by themselves are pruned."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        q, k = schema.retry_queue, schema.queue_take
        holding = (
            sa.select(k.c.item_id, k.c.owner, k.c.until)
            .join(q, q.c.id == k.c.item_id)
            .where(
                q.c.status.in_(schema.QUEUE_OPEN_STATUSES), q.c.next_attempt_at == k.c.until, k.c.until > now
            )
        )
        with self._write(None) as c:
            rows = c.execute(holding).all()
            ended = self.ended_owners({row.owner for row in rows}, conn=c)
            dead = [row for row in rows if row.owner in ended]
            freed = []
            for row in dead:
                due_now = (
                    sa.update(q)
                    .where(q.c.id == row.item_id, q.c.next_attempt_at == row.until)
                    .values(next_attempt_at=now, updated_at=now)
                )
                if c.execute(due_now).rowcount:
                    freed.append(row.item_id)
            gone = sa.or_(k.c.until <= now, k.c.item_id.in_([row.item_id for row in dead]))
            c.execute(sa.delete(k).where(gone))
        return freed

    def queue_status(self, item_id: int, *, conn: sa.Connection | None = None) -> str | None:
        """The item's status now (None if there is no such item): what a replay that could not take an
        item reports about it (resolved by another replay or a run, or still another's)."""
        with self._read(conn) as c:
            return self._queue_status(item_id, c)

    def abandon(self, item_id: int, *, reason: str, conn: sa.Connection | None = None) -> None:
        """Give up on an open item (an operator's decision); it stays in the queue as history."""
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"queue item {item_id}: field 'reason' must say why it is abandoned")
        t = schema.retry_queue
        now = _now()
        update = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.status.in_(schema.QUEUE_OPEN_STATUSES))
            .values(status="abandoned", reason=redact(reason), resolved_at=now, updated_at=now)
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0:
                raise self._not_open(item_id, c)

    def release_held(
        self, depends_on: str, *, reason: str | None = None, conn: sa.Connection | None = None
    ) -> int:
        """The record ``depends_on`` has synced: make every item waiting on it due now. Returns how many."""
        return len(self.release_held_items(depends_on, reason=reason, conn=conn))

    def release_held_items(
        self, depends_on: str, *, reason: str | None = None, conn: sa.Connection | None = None
    ) -> list[QueueItem]:
        """Release the items held on ``depends_on`` (due now) and return them as they are now.

        Their reason says they were released (``reason``, or that ``depends_on`` synced and when): the
        "waits for ..." it replaces is no longer true, and an item must never show a stale reason.
        """
        _text("retry queue release", "depends_on", depends_on, schema.DEPENDS_ON_LEN)
        now = _now()
        if reason is None or not reason.strip():
            reason = f"released: {depends_on} synced at {now:%Y-%m-%d %H:%M:%S} UTC; due for replay"
        params = {"k_depends_on": depends_on, "now": now, "new_reason": redact(reason)}
        with self._write(conn) as c:
            rows = c.execute(statements.RELEASE_HELD, params).all()
        return sorted((self.queue_item(row) for row in rows), key=lambda item: item.id)

    def synced_dependencies(
        self, keys: list[str] | set[str] | frozenset[str], *, conn: sa.Connection | None = None
    ) -> frozenset[str]:
        """The dependency keys (``dependency_key``) among ``keys`` whose record has synced: it has a
        cross-reference with a target id, whatever path wrote it (a run, a replay, a manual match)."""
        wanted: dict[tuple[str, str, str], dict[str, str]] = {}
        for key in keys:
            parts = _dependency_parts(key)
            if parts is not None:
                wanted.setdefault(parts[:3], {})[parts[3]] = key
        x = schema.xref
        found: set[str] = set()
        with self._read(conn) as c:
            for (integration, entity, system), by_source in wanted.items():
                sources = sorted(by_source)
                for start in range(0, len(sources), 500):
                    query = sa.select(x.c.source_key).where(
                        x.c.integration == integration,
                        x.c.entity == entity,
                        x.c.source_system == system,
                        x.c.source_key.in_(sources[start : start + 500]),
                        x.c.target_id.is_not(None),
                    )
                    found.update(by_source[row[0]] for row in c.execute(query))
        return frozenset(found)

    def held_counts(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        conn: sa.Connection | None = None,
    ) -> dict[str, int]:
        """Dependency key -> how many held items wait for it (one grouped query)."""
        t = schema.retry_queue
        held = self.queue_filters(
            sa.select(t.c.depends_on, sa.func.count()).where(t.c.status == "held").group_by(t.c.depends_on),
            integration,
            flow,
        )
        with self._read(conn) as c:
            return {str(key): int(n) for key, n in c.execute(held) if key}

    def queue_overview(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        now: datetime | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueOverview:
        """Open items in counts: failed and due, failed and not yet due (and the next attempt time), held
        (by what they wait for, and which of those have synced). A few grouped queries, no row data."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        t = schema.retry_queue
        count = sa.func.count()
        failed = self.queue_filters(
            sa.select(t.c.next_attempt_at <= now, count, sa.func.min(t.c.next_attempt_at))
            .where(t.c.status == "failed")
            .group_by(t.c.next_attempt_at <= now),
            integration,
            flow,
        )
        with self._read(conn) as c:
            due = later = 0
            next_at: datetime | None = None
            for is_due, n, first in c.execute(failed):
                if is_due:
                    due += int(n)
                else:
                    later += int(n)
                    next_at = first
            counts = self.held_counts(integration=integration, flow=flow, conn=c)
            held_by = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
            synced = self.synced_dependencies({key for key, _ in held_by}, conn=c)
        return QueueOverview(
            due=due,
            not_yet_due=later,
            next_attempt_at=next_at,
            held=sum(n for _, n in held_by),
            held_by=held_by,
            synced=synced,
        )

    def partition_queue(
        self,
        *,
        integration: str,
        flow: str,
        partition_key: str | None,
        limit: int = 100_000,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Open items (failed and held) of the records a flow met in one partition, oldest first.

        The queue does not store partitions; the audit trail does (every fail and hold is audited with its
        run's partition), so a partition's items are the open items of the source keys audited under it.
        This is what the ``_written`` asset check and metadata count per day. ``partition_key`` None means
        an unpartitioned flow."""
        t, a = schema.retry_queue, schema.audit_event
        in_partition = (
            a.c.partition_key.is_(None) if partition_key is None else a.c.partition_key == partition_key
        )
        keys = sa.select(a.c.source_id).where(a.c.integration == integration, a.c.flow == flow, in_partition)
        query = (
            self.queue_filters(sa.select(t), integration, flow)
            .where(t.c.status.in_(schema.QUEUE_OPEN_STATUSES), t.c.source_key.in_(keys))
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def queue_for(self, source_key: str, *, conn: sa.Connection | None = None) -> list[QueueItem]:
        """Every retry-queue item (open and closed) of a source key, oldest first (``ml-connector audit``)."""
        _text("retry queue look-up", "source_key", source_key, schema.KEY_LEN)
        t = schema.retry_queue
        query = sa.select(t).where(t.c.source_key == source_key).order_by(t.c.created_at, t.c.id)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    @staticmethod
    def queue_filters(query: sa.Select[Any], integration: str | None, flow: str | None) -> sa.Select[Any]:
        t = schema.retry_queue
        if integration is not None:
            query = query.where(t.c.integration == integration)
        if flow is not None:
            query = query.where(t.c.flow == flow)
        return query

    @staticmethod
    def queue_item(row: sa.Row[Any]) -> QueueItem:
        """A ``mlc_retry_queue`` row as a ``QueueItem`` (its payload decoded)."""
        data = dict(row._mapping)
        data["payload"] = json.loads(data["payload"])
        return QueueItem(**data)

    @staticmethod
    def _queue_status(item_id: int, conn: sa.Connection) -> str | None:
        t = schema.retry_queue
        return conn.execute(sa.select(t.c.status).where(t.c.id == item_id)).scalar()

    def _not_open(self, item_id: int, conn: sa.Connection) -> LedgerError:
        status = self._queue_status(item_id, conn)
        if status is None:
            return LedgerRecordNotFound(f"queue item {item_id} does not exist")
        return LedgerInputError(f"queue item {item_id} is {status}, not open (failed or held)")

    # ------------------------------------------------------------------ cursors

    def get_cursor(self, integration: str, stream: str, *, conn: sa.Connection | None = None) -> str | None:
        """The high-water mark of a stream, or None before its first successful extract."""
        t = schema.cursor
        query = sa.select(t.c.value).where(t.c.integration == integration, t.c.stream == stream)
        with self._read(conn) as c:
            return c.execute(query).scalar()

    def advance_cursor(
        self, integration: str, stream: str, value: str, *, conn: sa.Connection | None = None
    ) -> bool:
        """Move a cursor forward to ``value``; returns False (and changes nothing) if it is not ahead.

        Never moving backwards protects against a slow, stale run finishing after a newer one and
        rewinding the mark (which would re-read, or worse, skip). Values compare as strings, byte by
        byte on both databases, so callers use sortable formats (ISO timestamps, zero-padded ids).
        """
        record = f"cursor {integration}/{stream}"
        values = {
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "stream": _text(record, "stream", stream, schema.FLOW_LEN),
            "value": _text(record, "value", value, 10_000),
            "updated_at": _now(),
        }
        t = schema.cursor
        insert = self._insert(t).values(**values)
        current, proposed = t.c.value, insert.excluded.value
        if self._dialect == "postgresql":
            # Byte order, not the database's locale collation (which may ignore punctuation).
            current, proposed = sa.collate(current, "C"), sa.collate(proposed, "C")
        upsert = insert.on_conflict_do_update(
            index_elements=[t.c.integration, t.c.stream],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
            where=current < proposed,
        ).returning(t.c.value)
        with self._write(conn) as c:
            return c.execute(upsert).first() is not None

    # ------------------------------------------------------------------ webhook inbox

    def inbox_put(
        self,
        *,
        source: str,
        event_id: str,
        body: bytes,
        headers: Mapping[str, str],
        conn: sa.Connection | None = None,
    ) -> bool:
        """Store a webhook delivery durably; False when this event was already stored (a redelivery).

        The receiver answers 2xx only after this returns, so an acknowledged event is never lost;
        the unique (source, event_id) makes the provider's at-least-once delivery exactly-once here.
        Credential headers (Authorization, Cookie, API keys) are dropped, not stored.
        """
        delivery = InboxDelivery.of(source=source, event_id=event_id, body=body, headers=headers)
        t = schema.webhook_inbox
        insert = (
            self._insert(t)
            .values(_inbox_row(delivery, _now()))
            .on_conflict_do_nothing(index_elements=[t.c.source, t.c.event_id])
            .returning(t.c.id)
        )
        with self._write(conn) as c:
            stored = c.execute(insert).first() is not None
        if not stored:
            log.info("duplicate delivery of %s ignored", delivery.label)
        return stored

    def inbox_put_many(
        self, deliveries: Sequence[InboxDelivery], *, conn: sa.Connection | None = None
    ) -> list[bool]:
        """Store several deliveries in one transaction; per delivery, True if stored, False if a redelivery.

        This is the webhook receiver's group commit: one write transaction (on SQLite one WAL fsync) for
        every event that arrived while the previous batch was committing, instead of one each. The
        semantics are ``inbox_put``'s, delivery by delivery: an event already in the inbox is not stored
        again, and when the same event appears twice in ``deliveries`` the first is stored and the second
        answers False. All or nothing: if the transaction fails, nothing of the batch is stored and the
        error propagates, so the caller can refuse every delivery in it.
        """
        if not deliveries:
            return []
        first: dict[tuple[str, str], InboxDelivery] = {}
        for delivery in deliveries:
            first.setdefault((delivery.source, delivery.event_id), delivery)
        with self._write(conn) as c:
            inserted = self._inbox_insert(c, list(first.values()), _now())
        stored = []
        for delivery in deliveries:
            key = (delivery.source, delivery.event_id)
            stored.append(key in inserted)
            if key in inserted:
                inserted.discard(key)  # a second copy in the same batch is a redelivery
            else:
                log.info("duplicate delivery of %s ignored", delivery.label)
        return stored

    def _inbox_insert(
        self, conn: sa.Connection, deliveries: list[InboxDelivery], now: datetime
    ) -> set[tuple[str, str]]:
        """Insert distinct deliveries in ``conn``'s transaction; the (source, event_id) of those inserted.

        The driver's own cursor, not SQLAlchemy Core: this runs once per group commit on the receiver's
        writer thread, and the Python it spends holds the GIL the event loop needs for HTTP. Under a wrk
        burst on SQLite, Core's insertmanyvalues (compile-cache lookup, per-row bind processing, result
        wrapping) put the writer thread at 91 us of user CPU per event; this path, at 43. The SQL is
        the same ``INSERT ... ON CONFLICT DO NOTHING`` in the same transaction (``_write`` still begins
        it, with BEGIN IMMEDIATE on SQLite, and commits it); the one typed value, ``received_at``, goes
        through the column type's own bind processor, so it is stored exactly as Core would store it.
        """
        t = schema.webhook_inbox
        # dialect_impl: the TypeDecorator's processor and the dialect's own (SQLite: the text format)
        received = t.c.received_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        received_at = received(now) if received is not None else now
        columns = "source, event_id, received_at, status, attempts, body, headers"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self._dialect == "postgresql":
                # One multi-row statement: one round trip; RETURNING names the rows it inserted.
                values = ",".join(["(%s, %s, %s, 'pending', 0, %s, %s)"] * len(deliveries))
                params: list[object] = []
                for d in deliveries:
                    params += (d.source, d.event_id, received_at, d.body, d.headers_json)
                cursor.execute(
                    f"INSERT INTO {t.name} ({columns}) VALUES {values}"
                    " ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id",
                    params,
                )
                return {(source, event_id) for source, event_id in cursor.fetchall()}
            # SQLite: one prepared statement (the sqlite3 module caches it) per row; rowcount says
            # whether that row was inserted. No round trips to save in an embedded database.
            sql = (
                f"INSERT INTO {t.name} ({columns}) VALUES (?, ?, ?, 'pending', 0, ?, ?)"
                " ON CONFLICT (source, event_id) DO NOTHING"
            )
            inserted = set()
            for d in deliveries:
                cursor.execute(sql, (d.source, d.event_id, received_at, d.body, d.headers_json))
                if cursor.rowcount == 1:
                    inserted.add((d.source, d.event_id))
            return inserted
        finally:
            cursor.close()

    def inbox_pending(
        self,
        *,
        source: str | None = None,
        after_id: int = 0,
        limit: int = 100,
        conn: sa.Connection | None = None,
    ) -> list[InboxEvent]:
        """Pending deliveries with id > ``after_id``, in arrival order (a sensor's cursor is the last id)."""
        t = schema.webhook_inbox
        query = sa.select(t).where(t.c.status == "pending", t.c.id > after_id)
        if source is not None:
            query = query.where(t.c.source == source)
        query = query.order_by(t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self._inbox_event(row) for row in c.execute(query)]

    def inbox_mark(
        self, inbox_id: int, *, status: str, error: str | None = None, conn: sa.Connection | None = None
    ) -> None:
        """Record the outcome of processing a delivery; ``pending`` puts it back for another try."""
        record = f"webhook inbox row {inbox_id}"
        if status not in schema.INBOX_STATUSES:
            raise LedgerInputError(
                f"{record}: field 'status' is {status!r}; expected one of {', '.join(schema.INBOX_STATUSES)}"
            )
        if error is not None and not isinstance(error, str):
            raise LedgerInputError(f"{record}: field 'error' must be a string, got {type(error).__name__}")
        t = schema.webhook_inbox
        finished = status != "pending"
        update = (
            sa.update(t)
            .where(t.c.id == inbox_id)
            .values(
                status=status,
                error=redact(error) if error else None,
                processed_at=_now() if status == "processed" else None,
                attempts=t.c.attempts + 1 if finished else t.c.attempts,
            )
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0:
                raise LedgerRecordNotFound(f"{record} does not exist")

    @staticmethod
    def _inbox_event(row: sa.Row[Any]) -> InboxEvent:
        data = dict(row._mapping)
        data["body"] = bytes(data["body"])
        data["headers"] = json.loads(data["headers"])
        return InboxEvent(**data)

    # ------------------------------------------------------------------ stats

    def summary(self, *, conn: sa.Connection | None = None) -> dict[str, int]:
        """Counts for the UI and ``ml-connector audit``: one round trip per table, no row data."""
        x, a, q, i = schema.xref, schema.audit_event, schema.retry_queue, schema.webhook_inbox
        count = sa.func.count()
        with self._read(conn) as c:
            queue = dict(
                c.execute(
                    sa.select(q.c.status, count)
                    .where(q.c.status.in_(schema.QUEUE_OPEN_STATUSES))
                    .group_by(q.c.status)
                ).all()
            )
            return {
                "xrefs": int(c.execute(sa.select(count).select_from(x)).scalar_one()),
                "xrefs_pending": int(c.execute(sa.select(count).where(x.c.state == "pending")).scalar_one()),
                "audit_events": int(c.execute(sa.select(count).select_from(a)).scalar_one()),
                "queue_failed": int(queue.get("failed", 0)),
                "queue_held": int(queue.get("held", 0)),
                "queue_open": int(sum(queue.values())),
                "inbox_pending": int(c.execute(sa.select(count).where(i.c.status == "pending")).scalar_one()),
            }


_shared: dict[tuple[int, str], Ledger] = {}
_shared_lock = threading.Lock()


def shared_ledger(url: str | None = None) -> Ledger:
    """One migrated ``Ledger`` per database URL per process, built on first use.

    Resources, sensors and the vault all call this, so a process opens one connection pool per
    database and runs the migration check once, not on every asset. Keyed by process id as well:
    a forked child must not reuse the parent's pooled connections.
    """
    resolved = ledger_url(url)
    key = (os.getpid(), resolved)
    with _shared_lock:
        ledger = _shared.get(key)
        if ledger is None:
            ledger = _shared[key] = Ledger(resolved)
        return ledger
