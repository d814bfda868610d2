"""A run's look at its flow's records held for a record their target lacks, once per target session.

A replay never takes such a record, but a run of its day maps it again and would send it again, to be
refused again. Before the session's first write, ``MissingHolds`` reads the flow's held items once, asks
the target (one read per kind: ``appeared``) which missing records exist now and releases those; a record
still held with the same content raises the same hold again, so nothing is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.records import FlowSpec, Mapped
from connector_resources.ledger import Ledger
from connector_resources.missing_records import Kinds, MissingRecord, appeared_in, missing_of
from connector_resources.redaction import get_logger
from connector_resources.replay import release_waiting

log = get_logger(__name__)

OPEN_ITEMS = 100_000  # a flow's held items read at most (a write step reads its open items the same way)


@dataclass(frozen=True)
class _Held:
    """What a held record was held with: its mapped payload, its dependency key and its reason."""

    payload: dict[str, Any]
    depends_on: str
    reason: str


class MissingHolds:
    """One target session's view of its flow's records held on missing records (module docstring).
    ``appeared``: (held dependency keys) -> {key: why its record exists now}; ``kinds``: the missing kinds
    the side declares."""

    def __init__(
        self,
        ledger: Ledger,
        spec: FlowSpec,
        appeared: Callable[[list[str]], Mapping[str, str]],
        *,
        kinds: Kinds,
        run_id: str | None = None,
    ) -> None:
        self.ledger, self.spec, self.appeared, self.run_id = ledger, spec, appeared, run_id
        self.kinds = kinds
        self._held: dict[str, _Held] | None = None
        self._lock = threading.Lock()
        self.released = 0

    def _load(self) -> dict[str, _Held]:
        with self._lock:
            if self._held is None:
                self._held = self._read()
            return self._held

    def _read(self) -> dict[str, _Held]:
        spec = self.spec
        items = self.ledger.open_items(
            integration=spec.integration, flow=spec.name, status="held", limit=OPEN_ITEMS
        )
        held = {
            i.source_key: _Held(i.payload, i.depends_on, i.reason)
            for i in items
            if i.depends_on and missing_of(i.depends_on, self.kinds) is not None
        }
        if not held:
            return held
        ready = self.appeared(sorted({i.depends_on for i in held.values()}))
        for key, why in sorted(ready.items()):
            released = release_waiting(
                self.ledger, key, reason=f"released: {why}; due now", run_id=self.run_id
            )
            self.released += len(released)
        if ready:
            log.info("%s: %d held record(s) released, what they named exists now", spec.flow, self.released)
        return {k: i for k, i in held.items() if i.depends_on not in ready}

    def note(self, record: Mapped, missing: MissingRecord) -> None:
        """``record`` was just held on ``missing``: a repeat of it later in the session is held too."""
        held = self._load()
        with self._lock:
            held[record.source_key] = _Held(record.to_payload(), missing.depends_on, missing.reason)

    def still_held(self, record: Mapped) -> MissingRecord | None:
        """The hold ``record`` stays under (raise it: nothing is sent), or None to write it."""
        item = self._load().get(record.source_key)
        if item is None or not item.payload.get("body"):
            return None
        if Mapped.from_payload(item.payload).content_hash() != record.content_hash():
            return None  # changed since it was held: the change may be the fix
        found = missing_of(item.depends_on, self.kinds)
        if found is None:
            return None
        kind, ident = found
        return MissingRecord(kind, ident, item.reason, refused_now=False)


def appeared_by(checks: Mapping[tuple[str, str, str], Callable[[list[str]], Mapping[str, str]]]):
    """``appeared`` asking ``checks`` (by kind), each about the held ids of its kind."""
    return lambda keys: appeared_in(checks, keys)
