"""The replay handler of a flow: a queued record read from its source again and mapped with today's tables
(``FlowSpec.remap``), or its queued payload, validated, held again if what it waits for has still not
synced, then written through the same ``write_record`` as a run's write, so it is never written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from connector_assets.flows.after_write import must_wait, waits_to_sync
from connector_assets.flows.records import FlowSpec, Mapped, Rejected, Target, validate
from connector_assets.flows.replay_ahead import held_ahead, replay_ahead
from connector_assets.flows.write_once import write_record
from connector_resources.ledger import (
    Ledger,
    QueueItem,
    XrefConflict,
)
from connector_resources.redaction import get_logger, redact
from connector_resources.refusals import Refusal, Refused, refused, with_refusal
from connector_resources.replay import ReplayOutcome, WaitsFor, replay_at

log = get_logger(__name__)


def replay_handler(
    spec: FlowSpec,
    open_target_for_replay: Callable[[], AbstractContextManager[Target]],
    resources_for_replay: Callable[[], dict[str, Any]] | None = None,
):
    """The ``ml-connector replay`` handler of a flow: map the record again (with ``spec.remap`` and
    ``resources_for_replay``: from its source, with today's tables), validate it, then write it; otherwise
    the payload queued with it is written as it was mapped then."""

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        mapped_at = None  # a queued body: when it was mapped is not known here; the dependency alone decides
        if spec.remap is not None and resources_for_replay is not None:
            mapped_at, record = _remapped(spec, item, ledger, resources_for_replay)
        elif not item.payload.get("body"):
            sentence = (
                f"{spec.entity} {item.source_key}: the queued record was never mapped; "
                "rerun the partition once its source data is fixed"
            )
            raise Refused(refused(sentence, rule="never mapped"))
        else:
            record = Mapped.from_payload(item.payload)
        checked = validate(spec, [record])
        if checked.rejected:
            raise _refused(checked.rejected[0])
        if must_wait(ledger, record, mapped_at=mapped_at):
            raise WaitsFor(record.depends_on, waits_to_sync(spec, record))
        with open_target_for_replay() as target:
            preloaded = held_ahead(spec, ledger).take(record)  # claimed and searched with its chunk
            try:
                result = write_record(spec, target, ledger, record, preloaded=preloaded, **_audited_as())
            except XrefConflict as exc:
                conflict = Refusal("conflict", redact(str(exc)), {"system": spec.target_system})
                raise Refused(conflict) from None
            except Exception as exc:  # queued by the replay with the kind judged here, knowing the target
                with_refusal(exc, system=spec.target_system)
                raise
        released = f"; released {result.released} held record(s)" if result.released else ""
        return ReplayOutcome(
            target_id=result.target_id,
            action=result.action,
            detail=f"replayed: {result.reason}{released}",
            released=result.released,
        )

    return handle


@dataclass(frozen=True)
class FlowReplay:
    """A flow's replay handler (built from its ``replays.Replay``): ``replay_handler`` with the
    target ``opener(ledger)`` opens for the replay and today's ``resources``, and ``ahead``, which claims
    and searches a chunk of the flow's queued records at once before their writes
    (``flows.replay_ahead``)."""

    spec: FlowSpec
    opener: Callable[[Ledger], Callable[[], AbstractContextManager[Target]]]
    resources: Callable[[], dict[str, Any]] | None = None

    def __call__(self, item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        return replay_handler(self.spec, self.opener(ledger), self.resources)(item, ledger)

    def ahead(self, items: Sequence[QueueItem], ledger: Ledger) -> Callable[[], None]:
        if self.spec.remap is not None and self.resources is not None:
            _remap_ahead(self.spec, items, ledger, self.resources())
        return replay_ahead(self.spec, self.opener(ledger), items, ledger)


def _audited_as() -> dict[str, Any]:
    """``write_record``'s audit options: the replay's run and the record's day (``replay.ReplayAt``), so
    the write's audit line ties to both; outside a replay, neither."""
    at = replay_at()
    if at is None:
        return {"run_id": None, "partition": None}
    return {"run_id": at.run_id, "partition": at.partition, "audit_detail": at.detail}


def _remap_context(ledger: Ledger, resources: dict[str, Any]) -> SimpleNamespace:
    """What ``FlowSpec.remap`` reads its resources from, as an asset's context gives them."""
    return SimpleNamespace(resources=SimpleNamespace(**resources, ledger=SimpleNamespace(get=lambda: ledger)))


def _remap_ahead(
    spec: FlowSpec, items: Sequence[QueueItem], ledger: Ledger, resources: dict[str, Any]
) -> None:
    """Read a chunk's records from the source again in one ``remap`` call, for each handler call to take:
    a source read by list (or one session) per chunk instead of per record. A chunk that fails to remap is
    remapped a record at a time by its handler calls, each meeting its own error."""
    assert spec.remap is not None
    keys = [item.source_key for item in items]
    mapped_at = datetime.now(UTC)
    try:
        found: dict[str, list[Mapped | Rejected]] = {key: [] for key in keys}
        for record in spec.remap(_remap_context(ledger, resources), keys):
            if record.source_key in found:
                found[record.source_key].append(record)
    except Exception as exc:
        log.warning("%s: could not read %d queued records again at once: %s", spec.flow, len(keys), exc)
        return
    held_ahead(spec, ledger).remapped.update({key: (mapped_at, records) for key, records in found.items()})


def _remapped(
    spec: FlowSpec, item: QueueItem, ledger: Ledger, resources: Callable[[], dict[str, Any]]
) -> tuple[datetime, Mapped]:
    """The queued record as today's source data and mapping tables make it (read with its chunk, or
    alone), with when it was read, or why it cannot be written."""
    assert spec.remap is not None
    ahead = held_ahead(spec, ledger).remapped.pop(item.source_key, None)
    if ahead is None:
        mapped_at = datetime.now(UTC)
        found = list(spec.remap(_remap_context(ledger, resources()), [item.source_key]))
    else:
        mapped_at, found = ahead
    found = [r for r in found if r.source_key == item.source_key]
    if not found:
        sentence = (
            f"{spec.entity} {item.source_key} is no longer in {spec.source_system} as something to write; "
            "abandon this item if that is right"
        )
        raise Refused(refused(sentence, rule="no longer in the source"))
    if isinstance(found[0], Rejected) and found[0].held_on:  # a record it names is still missing: held again
        raise WaitsFor(found[0].held_on, found[0].reason, found[0].refusal)
    if isinstance(found[0], Rejected):
        raise _refused(found[0])
    return mapped_at, found[0]


def _refused(rejected: Rejected) -> Exception:
    """What a replay raises for a record mapped or validated again and refused: its refusal, kept as data
    (a ``Rejected`` without one: the flow's own rule, unclassified)."""
    if rejected.refusal is not None:
        return Refused(Refusal(rejected.refusal.kind, rejected.reason, rejected.refusal.params))
    return ValueError(rejected.reason)
