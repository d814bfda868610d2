"""The write step's target in a preview: the real target, whose first write request is held and noted.

``PreviewTarget`` lets the real ``find`` / ``create`` / ``update`` run (their reads, their hold and refusal
rules) until they send a write; the HTTP core raises ``WouldWrite`` there (``write_hold``) and this wrapper
answers in the write's place: a create "created" under a placeholder id, or under the id the target would
give it when the target decides it itself (a JD Edwards batch's keys, ``planned_id``), so the records that
depend on it are judged as they would be after it; an update done. What was held is noted in the
``Capture`` the preview opened: the body of a create, the fields of an update with the target's current
values beside ours. ``write_once`` then records the outcome in the (scratch) ledger exactly as after a
real write.

A later flow reading such a record back from the target by its id (a purchase order naming the vendor the
suppliers flow would create, or rename) reads it through ``as_previewed``: the record as the held writes
would have left it, since the target has no such record yet, or still the old fields; one asking whether
the target holds it (a payment on the bill's voucher batch) asks ``created_in_preview``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector_assets.flows.records import Created, FlowSpec, Mapped, Unchanged
from connector_resources.http.write_hold import WouldWrite
from connector_resources.redaction import redact

PLACEHOLDER = "(new)"  # the target id a previewed create records: "(new) <source key>"


class Capture:
    """What a preview's write steps held, one JSON line per record (``flow``, ``source_key``, ``held``:
    the request, ``matched_by``, ``changes``), read back by the runner. A file, so memory stays bounded
    however many records a year's preview holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("ab")
        # (entity, target id) -> where the note of the last write held for that record starts in the file
        self._written: dict[tuple[str, str], int] = {}
        self._created: set[str] = set()  # the target ids previewed creates recorded

    def note(self, spec: FlowSpec, source_key: str, *, written: str | None = None, **fields: Any) -> None:
        """One record's note; ``written``: the target id its held write was to (a create's: the one it was
        recorded under)."""
        line = json.dumps({"flow": spec.name, "source_key": source_key, **fields}, default=str)
        with self._lock:
            if written is not None:
                self._written[(spec.entity, written)] = self._file.tell()
                if fields.get("verdict") == "create":
                    self._created.add(written)
            self._file.write(line.encode("utf-8") + b"\n")
            self._file.flush()

    def written(self, entity: str, target_id: str) -> tuple[bool, dict[str, Any]] | None:
        """What a held write of ``entity`` would have given target record ``target_id``: (created, fields):
        a create's body, an update's fields (ours); None when none was held for it."""
        with self._lock:
            at = self._written.get((entity, target_id))
        if at is None:
            return None
        with self.path.open("rb") as lines:
            lines.seek(at)
            note = json.loads(lines.readline())
        changes, created = note.get("changes"), note.get("verdict") == "create"
        if not isinstance(changes, dict):
            return created, {}
        return created, changes if created else {k: v[1] for k, v in changes.items()}

    def created(self, target_id: str) -> bool:
        with self._lock:
            return target_id in self._created

    def close(self) -> None:
        self._file.close()

    def read(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The last note of each (flow, source key)."""
        notes: dict[tuple[str, str], dict[str, Any]] = {}
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                note = json.loads(line)
                notes[(note["flow"], note["source_key"])] = note
        return notes


_capture: Capture | None = None


@contextmanager
def capturing(path: Path) -> Iterator[Capture]:
    """While open, every write step of the process writes through a ``PreviewTarget`` noting in ``path``."""
    global _capture
    capture = Capture(path)
    _capture = capture
    try:
        yield capture
    finally:
        _capture = None
        capture.close()


def is_placeholder(target_id: Any) -> bool:
    """Whether ``target_id`` is the id a previewed create recorded in a real id's place."""
    return str(target_id or "").startswith(PLACEHOLDER)


def as_previewed(entity: str, target_id: Any, read: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """Target record ``target_id``, written by the flows of ``entity``, as a later flow reads it: ``read()``
    (one read of the target), or in a preview as the held writes would have left it: a previewed create's
    body under its placeholder (never read: the target has no such record), the record read with a held
    update's fields over it."""
    capture = _capture
    held = None if capture is None else capture.written(entity, str(target_id))
    if held is None:
        return dict(read())
    created, fields = held
    return fields if created else {**read(), **fields}


def created_in_preview(target_id: Any) -> bool:
    """Whether a previewed create recorded ``target_id``: a record the target does not hold yet, though
    the flows after it are judged as if it did (False when no preview is capturing)."""
    capture = _capture
    return capture is not None and capture.created(str(target_id))


def previewed(spec: FlowSpec, target: Any) -> Any:
    """``target`` as a write step uses it: itself, or wrapped when a preview is capturing."""
    return target if _capture is None else PreviewTarget(spec, target, _capture)


def flat(value: Any) -> dict[str, Any]:
    """A request body or a record as field -> value, one level deep (a body wrapped in one key, as
    ``{"vendor": {...}}``, is unwrapped), so an update reads field by field."""
    if isinstance(value, Mapping) and len(value) == 1:
        [inner] = value.values()
        if isinstance(inner, Mapping):
            value = inner
    return dict(value) if isinstance(value, Mapping) else {"body": value}


def changes_between(current: Any, ours: Any) -> dict[str, list[Any]]:
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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def find(self, record: Mapped) -> str | None:
        found = self._target.find(record)
        if found is not None:
            with self._lock:
                self._found[record.source_key] = str(found)
        return found

    def create(self, record: Mapped) -> str | Created:
        try:
            return self._target.create(record)
        except WouldWrite as held:
            planned = getattr(self._target, "planned_id", None)
            target_id = (planned(record) if planned else None) or f"{PLACEHOLDER} {record.source_key}"
            self._capture.note(
                self._spec,
                record.source_key,
                written=target_id,
                verdict="create",
                held=_request(held),
                changes=_body(held),
            )
            return Created(target_id, "create", "would be created (preview)")

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        with self._lock:
            adopting = self._found.get(record.source_key) == str(target_id)
        verdict = "adopt" if adopting else "update"
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


def _current(held: WouldWrite) -> Any:
    """The target's record as it stands, for an update sent to the record's own URL (``PUT`` / ``PATCH``):
    read there (a GET, one call, as the write would have been); None when the write is not to a record's
    URL (a JD Edwards orchestration) or the read fails. An answer in an envelope (Procurify's
    ``{"metadata": ..., "data": {record}}``) is the record in its ``data``."""
    if held.method not in ("PUT", "PATCH") or held.client is None:
        return None
    try:
        answer = held.client.get(held.url).json()
    except Exception:  # the verdict stands without theirs; the read is only for the report
        return None
    if isinstance(answer, Mapping) and isinstance(answer.get("data"), Mapping):
        return answer["data"]
    return answer
