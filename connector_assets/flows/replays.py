"""A flow's replay, in one place: declared as data (``Replay``, the one way every flow states it), built into
the handler that writes a queued record again (``FlowReplay``: read from its source again and mapped with
today's tables by ``FlowSpec.remap``, or its queued payload, validated, held again if what it waits for has
still not synced, then written through the same ``write_record`` as a run's write, so never twice), and
what one deployment replays with (``Replays``, built from its loaded flows, never registered).

Builders, not handlers: a benchmark or a test replays with its own resources
(``build_replays(flows, resources)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any, Protocol

from connector_assets.flows.after_write import must_wait, waits_to_sync
from connector_assets.flows.records import FlowSpec, Mapped, Rejected, Skipped, Target, validate
from connector_assets.flows.replay_ahead import held_ahead, replay_ahead
from connector_assets.flows.write_once import write_record
from connector_resources.held_outside import Kind as OutsideKind
from connector_resources.held_outside import OutsideCheck
from connector_resources.ledger import Ledger, QueueItem, XrefConflict
from connector_resources.parent_verdicts import Kind as ParentKind
from connector_resources.parent_verdicts import ParentCheck
from connector_resources.redaction import get_logger, redact
from connector_resources.refusals import Refusal, Refused, refused, with_refusal
from connector_resources.replay import (
    ReplayHandler,
    ReplayOutcome,
    WaitsFor,
    replay_at,
    shared_context,
    shared_value,
)

log = get_logger(__name__)


class Replaying(Protocol):
    """What ``build_replays`` reads of a flow (``flows.assembly.Flow``, which imports this module)."""

    spec: FlowSpec
    replay: Replay | None


Resources = Callable[[], dict[str, Any]]  # builds today's resources (once per replay: ``shared_value``)
# Opens the flow's target for a replay: on the replay's built resources, with its ledger, for the flow
# (``SessionTarget.for_replay``: the target class's own, or a flow's function of the same three).
ReplayTarget = Callable[[dict[str, Any], Ledger, FlowSpec], AbstractContextManager[Any]]
Superseded = Callable[[FlowSpec, QueueItem, Ledger], str]  # why a queued payload is not written, "" if it is
Wrap = Callable[[ReplayHandler, Resources], ReplayHandler]
OutsideChecks = Callable[[Resources], Mapping[OutsideKind, OutsideCheck]]
ParentChecks = Callable[[Resources], Mapping[ParentKind, ParentCheck]]


@dataclass(frozen=True)
class Replay:
    """A flow's replay as data, the one way every flow declares it (``Flow.replay``): where its record is
    written again, with which resources, and what runs first.

    ``target`` opens the flow's target for the replay (``Target.for_replay``: a JDE target holds the
    replay's ledger, a SaaS target its session alone); ``resources`` builds what the record is read again
    and written with (today's settings, ``resources_from_settings``, unless the flow needs others; a
    bench's or a test's own override both), built once per replay and shared by every flow built on the
    same function, as a run's resources are. ``outside`` and ``parents`` build the checks the replay sweeps
    ask, on the same resources (``JDE_CHECKS`` for a JDE target); each of ``first`` wraps the handler, in
    order (a matches file loaded before the write). ``source``: the resource the flow's ``remap`` reads,
    when a replay may be given resources without it (Coupa -> JDE given JDE alone); then each record's
    queued payload is written as mapped, unless ``superseded`` says a newer version has been seen since."""

    target: ReplayTarget
    resources: Resources | None = None
    _: KW_ONLY
    outside: Sequence[OutsideChecks] = ()
    parents: Sequence[ParentChecks] = ()
    first: Sequence[Wrap] = ()
    source: str | None = None
    superseded: Superseded | None = None

    def resources_for(self, spec: FlowSpec, given: Resources | None = None) -> Resources:
        """What this replay builds its resources with: ``given`` (a bench's, a test's), else its own, else
        today's settings for ``spec``'s instance (its own connections first: a replay of an instance on
        another tenant writes there, as its runs do)."""
        if given is not None and not callable(given):
            raise TypeError(f"replays take a function building their resources, got {type(given).__name__}")
        if given is not None:
            return given
        if self.resources is not None:
            return self.resources
        from connector_assets.flows.replay_resources import resources_from_settings

        return partial(resources_from_settings, instance=spec.integration)

    def handler(self, spec: FlowSpec, resources: Resources | None = None) -> ReplayHandler:
        """``spec``'s handler (``FlowReplay``) on the resources, wrapped by each of ``first``."""
        build = self.resources_for(spec, resources)
        handler: ReplayHandler = FlowReplay(spec, self, build)
        for wrap in self.first:
            handler = wrap(handler, build)
        return handler


@dataclass(frozen=True)
class FlowReplay:
    """A flow's replay handler, built by ``Replay.handler``: ``replay_handler`` through the target the
    replay opens once per replay and ledger, on the resources built once per replay; ``ahead`` reads a
    chunk of the flow's queued records from the source in one ``remap`` call and claims and searches them
    at once before their writes (``flows.replay_ahead``)."""

    spec: FlowSpec
    replay: Replay
    resources: Resources

    def built(self) -> dict[str, object]:
        return shared_value(("resources", id(self.resources)), self.resources)

    def opener(self, ledger: Ledger) -> Callable[[], AbstractContextManager[Target]]:
        key = ("target", self.spec.integration, self.spec.name, id(self.resources), id(ledger))
        return lambda: shared_context(key, lambda: self.replay.target(self.built(), ledger, self.spec))

    def rereads(self) -> Resources | None:
        """What a record is read again with (``FlowSpec.remap``); None when its queued payload is written:
        the flow has no ``remap``, or the replay's resources lack its ``Replay.source``."""
        if self.spec.remap is None:
            return None
        if self.replay.source is not None and self.replay.source not in self.built():
            return None
        return self.built

    def __call__(self, item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        rereads = self.rereads()
        superseded = self.replay.superseded
        if rereads is None and superseded is not None and (why := superseded(self.spec, item, ledger)):
            return ReplayOutcome(None, "skip", why)
        return replay_handler(self.spec, self.opener(ledger), rereads)(item, ledger)

    def ahead(self, items: Sequence[QueueItem], ledger: Ledger) -> Callable[[], None]:
        if (rereads := self.rereads()) is not None:
            _remap_ahead(self.spec, items, ledger, rereads())
        return replay_ahead(self.spec, self.opener(ledger), items, ledger)


@dataclass(frozen=True)
class Replays:
    """What one deployment replays with, built from its loaded components' flows (``build_replays``):
    each flow's handler by (integration, flow name), and every check the replay sweeps ask (held on
    another system's state: ``held_outside``; held on a record its flow will never send:
    ``held_parents``)."""

    handlers: Mapping[tuple[str, str], ReplayHandler] = field(default_factory=dict)
    outside: Mapping[OutsideKind, OutsideCheck] = field(default_factory=dict)
    parents: Mapping[ParentKind, ParentCheck] = field(default_factory=dict)

    def handler_for(self, integration: str, flow: str) -> ReplayHandler | None:
        return self.handlers.get((integration, flow))

    def flows(self) -> dict[str, list[str]]:
        """Integration -> the flows with a replay handler (what ``replay --integration/--flow`` accepts)."""
        flows: dict[str, list[str]] = {}
        for integration, flow in sorted(self.handlers):
            flows.setdefault(integration, []).append(flow)
        return flows


def build_replays(flows: Iterable[Replaying], resources: Resources | None = None) -> Replays:
    """The handlers and sweep checks of ``flows`` (each flow's ``Flow.replay``), built on ``resources``
    when given (each flow's own, else today's settings, otherwise). A flow without a replay has no handler:
    its queued records are left queued by a replay, saying so. A later flow's check of the same kind wins,
    as the declaration order of the flows says."""
    handlers: dict[tuple[str, str], ReplayHandler] = {}
    outside: dict[OutsideKind, OutsideCheck] = {}
    parents: dict[ParentKind, ParentCheck] = {}
    for flow in flows:
        replay = flow.replay
        if replay is None:
            continue
        build = replay.resources_for(flow.spec, resources)
        handlers[(flow.spec.integration, flow.spec.name)] = replay.handler(flow.spec, build)
        for checks in replay.outside:
            outside.update(checks(build))
        for checks in replay.parents:
            parents.update(checks(build))
    return Replays(handlers, outside, parents)


def replay_handler(
    spec: FlowSpec,
    open_target_for_replay: Callable[[], AbstractContextManager[Target]],
    resources_for_replay: Resources | None = None,
):
    """What a ``FlowReplay`` does with one queued record: map it again (with ``spec.remap`` and
    ``resources_for_replay``: from its source, with today's tables), validate it, then write it; without
    those, the payload queued with it is written as it was mapped then."""

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        mapped_at = None  # a queued body: when it was mapped is not known here; the dependency alone decides
        if spec.remap is not None and resources_for_replay is not None:
            mapped_at, record = _remapped(spec, item, ledger, resources_for_replay)
            if isinstance(record, Skipped):  # out of scope today (``flows.out_of_scope``): nothing to write
                return ReplayOutcome(None, action="skip", detail=f"skipped: {record.reason}")
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


def _audited_as() -> dict[str, object]:
    """``write_record``'s audit options: the replay's run and the record's day (``replay.ReplayAt``), so
    the write's audit line ties to both; outside a replay, neither."""
    at = replay_at()
    if at is None:
        return {"run_id": None, "partition": None}
    return {"run_id": at.run_id, "partition": at.partition, "audit_detail": at.detail}


def _remap_context(ledger: Ledger, resources: Mapping[str, object]) -> SimpleNamespace:
    """What ``FlowSpec.remap`` reads its resources from, as an asset's context gives them."""
    return SimpleNamespace(resources=SimpleNamespace(**resources, ledger=SimpleNamespace(get=lambda: ledger)))


def _remap_ahead(
    spec: FlowSpec, items: Sequence[QueueItem], ledger: Ledger, resources: Mapping[str, object]
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
    spec: FlowSpec, item: QueueItem, ledger: Ledger, resources: Resources
) -> tuple[datetime, Mapped | Skipped]:
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
