"""A flow's replay as data, and what one deployment replays with, built from its flows (never registered).

``build_replays`` turns the loaded flows into a ``Replays``, so what a process replays is what its
deployment loaded. Builders, not handlers: a benchmark or a test replays with its own resources
(``build_replays(flows, resources)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from connector_resources.held_outside import Kind as OutsideKind
from connector_resources.held_outside import OutsideCheck
from connector_resources.ledger import Ledger
from connector_resources.parent_verdicts import Kind as ParentKind
from connector_resources.parent_verdicts import ParentCheck
from connector_resources.replay import ReplayHandler, shared_context, shared_value

if TYPE_CHECKING:
    from connector_assets.flows.records import FlowSpec


class Replaying(Protocol):
    """What ``build_replays`` reads of a flow (``flows.assembly.Flow``, which imports this module)."""

    spec: FlowSpec
    replay: Replay | None


Resources = Callable[[], dict[str, Any]]  # builds today's resources (once per replay: ``shared_value``)
HandlerBuilder = Callable[["FlowSpec", Resources], ReplayHandler]
Wrap = Callable[[ReplayHandler, Resources], ReplayHandler]
OutsideChecks = Callable[[Resources], Mapping[OutsideKind, OutsideCheck]]
ParentChecks = Callable[[Resources], Mapping[ParentKind, ParentCheck]]


@dataclass(frozen=True)
class Replay:
    """A flow's replay as data: how its record is written again, with which resources, and what runs first.

    ``write`` builds the handler from the flow's spec and the resources (``settings_target``,
    ``ledger_target``, ``JdeTarget.replay``, a flow's own builder); ``resources`` builds them (today's
    settings, ``resources_from_settings``, unless the flow needs others; a bench's or a test's own
    override both); each of ``first`` wraps the handler, in order (a matches file loaded before the
    write); ``outside`` and ``parents`` build the checks the replay sweeps ask, on the same resources."""

    write: HandlerBuilder
    resources: Resources | None = None
    first: Sequence[Wrap] = ()
    outside: Sequence[OutsideChecks] = ()
    parents: Sequence[ParentChecks] = ()

    def resources_for(self, given: Resources | None = None) -> Resources:
        """What this replay builds its resources with: ``given`` (a bench's, a test's), else its own, else
        today's settings."""
        if given is not None and not callable(given):
            raise TypeError(f"replays take a function building their resources, got {type(given).__name__}")
        if given is not None:
            return given
        if self.resources is not None:
            return self.resources
        from connector_assets.flows.replay_resources import resources_from_settings

        return resources_from_settings

    def handler(self, spec: FlowSpec, resources: Resources | None = None) -> ReplayHandler:
        """``spec``'s handler: written by ``write`` on the resources, wrapped by each of ``first``."""
        build = self.resources_for(resources)
        handler = self.write(spec, build)
        for wrap in self.first:
            handler = wrap(handler, build)
        return handler


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
        build = replay.resources_for(resources)
        handlers[(flow.spec.integration, flow.spec.name)] = replay.handler(flow.spec, build)
        for checks in replay.outside:
            outside.update(checks(build))
        for checks in replay.parents:
            parents.update(checks(build))
    return Replays(handlers, outside, parents)


def settings_target(open_target: Callable[[dict[str, Any]], AbstractContextManager[Any]]) -> HandlerBuilder:
    """A handler builder writing through ``open_target(resources)``: the resources built once per replay
    (shared by every flow built on the same ``resources``), each record re-read and mapped with them
    (``FlowSpec.remap``), the target opened once per replay."""
    return _opened_per_replay(lambda resources, _ledger: open_target(resources), shared=True)


def ledger_target(
    open_target: Callable[[dict[str, Any], Ledger], AbstractContextManager[Any]],
) -> HandlerBuilder:
    """A handler builder for a target that must hold the replay's ledger (a JDE target checks its
    cross-reference before refusing a rewrite): ``settings_target``'s, with the resources built once per
    replay and flow, written through ``open_target(resources, ledger)``, opened once per replay and
    ledger."""
    return _opened_per_replay(open_target, shared=False)


def _opened_per_replay(
    open_target: Callable[[dict[str, Any], Ledger], AbstractContextManager[Any]], *, shared: bool
) -> HandlerBuilder:
    def write(spec: FlowSpec, resources: Resources) -> ReplayHandler:
        from connector_assets.flows.replay_handler import FlowReplay

        scope = () if shared else (spec.integration, spec.name)

        def built() -> dict[str, Any]:
            return shared_value(("resources", *scope, id(resources)), resources)

        def opener(ledger: Ledger) -> Callable[[], AbstractContextManager[Any]]:
            key = ("target", spec.integration, spec.name, id(resources), id(ledger))
            return lambda: shared_context(key, lambda: open_target(built(), ledger))

        return FlowReplay(spec, opener, built)

    return write
