"""The write step's target in a preview: the real target, whose first write request is held and noted
(``PreviewTarget``, ``Capture``), behind the runs' ``PreviewBoundary`` (``capturing``). What a held write
returns: docs/flows.md, "A preview: the same flow, every write held".
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector_assets.flows.records import Created, FlowSpec, Mapped, Unchanged
from connector_assets.flows.target_boundary import PLACEHOLDER, TargetBoundary, is_placeholder
from connector_resources.http.write_hold import WouldWrite
from connector_resources.redaction import redact
from connector_resources.replay import WaitsFor


class Capture:
    """What a preview's write steps held, per record (``flow``, ``source_key``; the note: ``verdict``,
    ``held``: the request, ``matched_by``, ``changes``), and the dependency keys of the records it would
    create. In a SQLite file beside the report, not in memory: a year's preview holds tens of thousands of
    bodies, and the runner looks each one up as its verdict is written. One connection, serialised: the
    write step's workers are threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE note (flow TEXT, source_key TEXT, body TEXT, PRIMARY KEY (flow, source_key))"
        )
        # The dependency keys (``FlowSpec.dependency_key``) of the records the preview would create: not
        # in the target, whatever a record depending on one reads there (``PreviewTarget._waits``).
        self._db.execute("CREATE TABLE created (dependency_key TEXT PRIMARY KEY)")
        # The whole natural key of each record the preview would create, per flow: a second record of the
        # same key would find the first one's create in a real run (``PreviewTarget.find``).
        self._db.execute(
            "CREATE TABLE created_key (flow TEXT, natural_key TEXT, source_key TEXT, "
            "PRIMARY KEY (flow, natural_key))"
        )
        # Which record's held write each target record had last (entity, target id), and the ids the
        # previewed creates were recorded under (``written``, ``created``).
        self._db.execute(
            "CREATE TABLE written (entity TEXT, target_id TEXT, flow TEXT, source_key TEXT, created INTEGER, "
            "PRIMARY KEY (entity, target_id))"
        )
        self._db.execute("CREATE TABLE created_id (target_id TEXT PRIMARY KEY)")

    def note(self, spec: FlowSpec, source_key: str, *, written: str | None = None, **fields: object) -> None:
        """One record's note; ``written``: the target id its held write was to (a create's: the one it was
        recorded under)."""
        body = json.dumps(fields, default=str)
        created = fields.get("verdict") == "create"
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO note VALUES (?, ?, ?)", (spec.name, source_key, body))
            if written is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)",
                    (spec.entity, written, spec.name, source_key, int(created)),
                )
                if created:
                    self._db.execute("INSERT OR IGNORE INTO created_id VALUES (?)", (written,))

    def note_of(self, flow: str, source_key: str) -> dict[str, Any] | None:
        """The last note of a record of ``flow``, if its write was held."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM note WHERE flow = ? AND source_key = ?", (flow, source_key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def written(self, entity: str, target_id: str) -> tuple[bool, dict[str, Any]] | None:
        """What a held write of ``entity`` would have given target record ``target_id``: (created, fields):
        a create's body, an update's fields (ours); None when none was held for it."""
        with self._lock:
            row = self._db.execute(
                "SELECT flow, source_key, created FROM written WHERE entity = ? AND target_id = ?",
                (entity, target_id),
            ).fetchone()
        if row is None:
            return None
        note, created = self.note_of(row[0], row[1]) or {}, bool(row[2])
        changes = note.get("changes")
        if not isinstance(changes, dict):
            return created, {}
        return created, changes if created else {k: v[1] for k, v in changes.items()}

    def created(self, target_id: str) -> bool:
        with self._lock:
            found = self._db.execute("SELECT 1 FROM created_id WHERE target_id = ?", (target_id,)).fetchone()
        return found is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def would_create(self, spec: FlowSpec, record: Mapped, target_id: str, **fields: object) -> None:
        """A held create: its note, and what later records ask of it: its dependency key
        (``only_previewed``), its whole natural key (``created_with``), the id it was recorded under."""
        self.note(spec, record.source_key, written=target_id, verdict="create", **fields)
        with self._lock:
            dependency = spec.dependency_key(record.source_key)
            self._db.execute("INSERT OR IGNORE INTO created VALUES (?)", (dependency,))
            if record.natural_key:
                self._db.execute(
                    "INSERT OR IGNORE INTO created_key VALUES (?, ?, ?)",
                    (spec.name, _key_text(record.natural_key), record.source_key),
                )

    def created_with(self, flow: str, natural_key: Mapping[str, object]) -> str | None:
        """The source key of a record of ``flow`` this preview would create with this whole natural key."""
        if not natural_key:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT source_key FROM created_key WHERE flow = ? AND natural_key = ?",
                (flow, _key_text(natural_key)),
            ).fetchone()
        return row[0] if row else None

    def only_previewed(self, dependency_key: str | None) -> bool:
        """Whether ``dependency_key`` names a record this preview would create (not in the target)."""
        if dependency_key is None:
            return False
        with self._lock:
            found = self._db.execute(
                "SELECT 1 FROM created WHERE dependency_key = ?", (dependency_key,)
            ).fetchone()
        return found is not None


class PreviewBoundary(TargetBoundary):
    """A preview's target boundary (``flows.target_boundary``): each write step's target wrapped in a
    ``PreviewTarget`` noting in ``capture``, and the later flows' reads answered from what it held."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def wrap(self, spec: FlowSpec, target: object) -> Any:
        return PreviewTarget(spec, target, self.capture)

    def written(self, entity: str, target_id: str) -> tuple[bool, dict[str, Any]] | None:
        return self.capture.written(entity, target_id)

    def created(self, target_id: object) -> bool:
        return self.capture.created(str(target_id))


@contextmanager
def capturing(path: Path) -> Iterator[PreviewBoundary]:
    """A preview's boundary noting in ``path`` (its runs' ``target_boundary``), closed on leaving."""
    capture = Capture(path)
    try:
        yield PreviewBoundary(capture)
    finally:
        capture.close()


def flat(value: object) -> dict[str, object]:
    """A request body or a record as field -> value, one level deep (a body wrapped in one key, as
    ``{"vendor": {...}}``, also beside the ids that say where it goes, as Procore's
    ``{"company_id": 7, "vendor": {...}}``, is unwrapped; an answer's envelope is taken off where the answer
    is read, ``_current``), so an update reads field by field."""
    value = _wrapped(value)[0] or value
    return dict(value) if isinstance(value, Mapping) else {"body": value}


def _wrapped(body: object) -> tuple[Mapping[str, object] | None, dict[str, object]]:
    """The record a body wraps in one key, and the ids beside it (``*_id``: where it goes, which a read of
    the record takes as query parameters); ``(None, {})`` for a body that is the record itself."""
    if not isinstance(body, Mapping):
        return None, {}
    inner = [v for v in body.values() if isinstance(v, Mapping)]
    ids = {k: v for k, v in body.items() if not isinstance(v, Mapping)}
    if len(inner) != 1 or not all(str(k).endswith("_id") for k in ids):
        return None, {}
    return inner[0], ids


def changes_between(current: object, ours: object) -> dict[str, list[Any]]:
    """Field by field, ``[theirs, ours]`` for the fields ours sets to another value than theirs (theirs
    None when the target's record does not show the field)."""
    theirs, sent = flat(current) if current is not None else {}, flat(ours)
    return {name: [theirs.get(name), value] for name, value in sent.items() if theirs.get(name) != value}


class PreviewTarget:
    """A ``Target`` whose writes are held and noted (see module docstring); everything else (its session,
    metrics, ``max_in_flight``) is the real target's."""

    def __init__(self, spec: FlowSpec, target: Any, capture: Capture) -> None:
        self._spec, self._target, self._capture = spec, target, capture
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()
        if callable(getattr(target, "find_many", None)):  # a batch search only where the target has one
            self.find_many = self._find_many

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def find(self, record: Mapped) -> str | None:
        try:
            found = self._target.find(record)
        except Exception as error:
            waits = self._waits(record, error)
            if waits is None:
                if _matched_many(error):  # the run queues it as failed: the report calls it ambiguous
                    self._capture.note(self._spec, record.source_key, verdict="ambiguous")
                raise
            raise waits from error
        return self._noted(record, found)

    def _find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find_many`` where the real target has one (``records.BatchFinder``): its batch search, with
        what ``find`` adds (``_noted``)."""
        answer = dict(self._target.find_many(records))
        for record in records:
            if record.source_key in answer:
                answer[record.source_key] = self._noted(record, answer[record.source_key])
        return answer

    def _noted(self, record: Mapped, found: str | None) -> str | None:
        """What the target found, else a record of the same whole key this preview would create (a run
        finds that one); a match is remembered so that its update is noted as an adoption."""
        if found is None:
            twin = self._capture.created_with(self._spec.name, record.natural_key)
            if twin is not None and twin != record.source_key:
                found = f"{PLACEHOLDER} {twin}"
        if found is not None:
            with self._lock:
                self._found[record.source_key] = str(found)
        return found

    def create(self, record: Mapped) -> str | Created:
        try:
            made = self._target.create(record)
        except WouldWrite as held:
            planned = getattr(self._target, "planned_id", None)
            target_id = (planned(record) if planned else None) or f"{PLACEHOLDER} {record.source_key}"
            self._capture.would_create(
                self._spec, record, target_id, held=_request(held), changes=_body(held)
            )
            return Created(target_id, "create", "would be created (preview)")
        except Exception as error:
            waits = self._waits(record, error)
            if waits is None:
                raise
            raise waits from error

        if isinstance(made, Created) and made.action == "adopt":  # a target searching inside its create
            self._capture.note(
                self._spec,
                record.source_key,
                verdict="adopt",
                target_id=made.target_id,
                matched_by=record.natural_key,
                changes={},
            )
        return made

    def _waits(self, record: Mapped, error: Exception) -> WaitsFor | None:
        """None (the target's ``error`` stands), unless the record depends on one this preview would create
        (``Mapped.depends_on``): then what failed is a read of that one in the target (a payment's voucher),
        which only the real run's write puts there, so the record is held on it (``WaitsFor``), as a run
        holds a record whose dependency is not usable yet; the target's own words are kept in the reason."""
        if isinstance(error, WaitsFor) or not self._capture.only_previewed(record.depends_on):
            return None
        return WaitsFor(
            record.depends_on,
            f"{self._spec.entity} {record.source_key} waits for {record.depends_on}, which this preview "
            f"would create first; {self._spec.target_system} does not hold it until then ({error})",
        )

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        with self._lock:
            adopting = self._found.pop(record.source_key, None) == str(target_id)
        verdict = "adopt" if adopting else "update"
        # Created earlier in this preview: the run would update what it created; the target holds nothing yet.
        if is_placeholder(target_id) or self._capture.created(str(target_id)):
            self._capture.note(self._spec, record.source_key, verdict=verdict, after_create=True, changes={})
            return None
        try:
            kept = self._target.update(target_id, record)
        except WouldWrite as held:
            self._capture.note(
                self._spec,
                record.source_key,
                written=str(target_id),
                verdict=verdict,
                target_id=str(target_id),
                matched_by=record.natural_key if adopting else None,
                held=_request(held),
                changes=changes_between(_current(held), _body(held)),
            )
            return None
        if adopting:  # adopted as it stands: nothing to change in it
            self._capture.note(
                self._spec,
                record.source_key,
                verdict="adopt",
                target_id=str(target_id),
                matched_by=record.natural_key,
                changes={},
            )
        return kept


def _matched_many(error: Exception) -> bool:
    """Whether a natural-key search failed because it matched several target records (the clients' own
    ``...AmbiguousMatchError``, Procore's ``ProcoreConflictError`` on a search), not for a transport fault."""
    return any(part in type(error).__name__ for part in ("Ambiguous", "Conflict"))


def _key_text(natural_key: Mapping[str, object]) -> str:
    """A natural key as one comparable text: its fields sorted, values trimmed and case-folded."""
    return json.dumps(
        {k: str(v).strip().casefold() for k, v in natural_key.items() if v not in (None, "")}, sort_keys=True
    )


def _body(held: WouldWrite) -> Any:
    body = held.body
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return str(body)[:2000]
    try:  # registered secrets never reach the report
        return json.loads(redact(json.dumps(body, default=str)))
    except ValueError:
        return redact(body)


def _request(held: WouldWrite) -> str:
    return f"{held.method} {held.system} {held.url}"


def _unreadable(held: WouldWrite) -> bool:
    """Whether the record's URL is one its system publishes no GET for (``System.unreadable_records``): the
    preview sends nothing the vendor does not take, not even a read it would refuse."""
    from urllib.parse import urlsplit

    from connector_resources.systems import systems_by_key

    declared = systems_by_key().get(held.system)
    path = urlsplit(held.url).path
    return declared is not None and any(part in path for part in declared.unreadable_records)


def _current(held: WouldWrite) -> Any:
    """The target's record as it stands, for an update sent to the record's own URL (``PUT`` / ``PATCH``):
    read there (a GET, one call, as the write would have been, with the ids the body names beside the
    record as query parameters, as Procore's ``company_id``); None when the write is not to a record's URL
    (a JD Edwards orchestration) or the read fails. An answer in an envelope (Procurify's
    ``{"metadata": ..., "data": {record}}``) is the record in its ``data``."""
    if held.method not in ("PUT", "PATCH") or held.client is None or _unreadable(held):
        return None
    try:
        answer = held.client.get(held.url, params=_wrapped(_body(held))[1] or None).json()
    except Exception:  # the verdict stands without theirs; the read is only for the report
        return None
    if isinstance(answer, Mapping) and isinstance(answer.get("data"), Mapping):
        return answer["data"]
    return answer
