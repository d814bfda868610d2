"""``ml-connector replay`` for Coupa -> JDE: queued vouchers and payments, written again.

By default each queued record is read from Coupa again and its current version mapped with today's
tables (a version JDE already holds is then skipped as unchanged). Given only a JDE resource, the queued
payload is written as it was mapped, unless a newer version from Coupa has been seen since (the version
rule of the runs).
"""

from collections.abc import Callable
from typing import Any

from connector_assets.flows.core import FlowSpec, replay_handler
from connector_assets.flows.documents import newest_seen
from connector_assets.flows.replay_resources import jde_from_settings, resources_from_settings
from connector_assets.integrations.coupa_jde.integration import INTEGRATION
from connector_assets.jde.missing_master import register_missing_checks
from connector_assets.jde.targets import JdeTarget
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import ReplayOutcome, register_replay_handler, shared_context, shared_value


def _replay(
    spec: FlowSpec,
    target_class: type[JdeTarget],
    jde: Any,
    resources: Callable[[], dict[str, Any]] | None,
):
    """``replay_handler`` for a Coupa -> JDE flow (see the module's docstring for what it writes)."""

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        if resources is None:
            version = str((item.payload.get("fields") or {}).get("coupa_updated_at") or "")
            newest = newest_seen(ledger, spec, item.source_key.split(":", 1)[0])
            if version and newest and version < newest:
                return ReplayOutcome(
                    None, "skip", f"superseded by a newer version from Coupa ({newest}); not applied"
                )
        # Built and opened once per replay (``ReplayScope``): remap and write share them, and so do the
        # replay's other records.
        built = shared_value(("resources", id(resources)), resources) if resources is not None else None
        resource = jde if jde is not None else (built or {}).get("jde")
        if resource is None:
            resource = shared_value("coupa_jde_settings_jde", jde_from_settings)
        target_key = ("target", spec.name, id(resource), id(ledger))
        opened = {"jde": resource}
        inner = replay_handler(
            spec,
            lambda: shared_context(target_key, lambda: target_class.for_replay(opened, ledger, spec)),
            None if built is None else lambda: built,
        )
        return inner(item, ledger)

    return handle


HeldCheck = Callable[[Callable[[], Any]], None]  # registers a sweep releasing held records, on a JDE


def flow_replays(spec: FlowSpec, target_class: type[JdeTarget], *checks: HeldCheck) -> Callable[..., None]:
    """A Coupa -> JDE flow's replay registration (``Flow.replays``): its handler, and ``checks``, the
    sweeps releasing the records it holds (on a closed JDE period, on a batch R04110ZA has not processed)
    on the JDE the replays write with.

    By default each queued record is read from Coupa again and mapped with today's tables and settings
    (``resources_from_settings``). Given only ``jde`` (a ``JdeAisResource``), the queued payload is
    written with it instead; given ``resources`` too, those are what the record is re-read with.
    """

    def register(resources: Callable[[], dict[str, Any]] | None = None, jde: Any = None) -> None:
        if jde is None and resources is None:
            resources = resources_from_settings
        register_replay_handler(INTEGRATION, spec.name, _replay(spec, target_class, jde, resources))
        # What waits for a record JDE lacks (every JDE flow's holds) is released once JDE has it.
        for check in (*checks, register_missing_checks):
            check(lambda: _replay_jde(jde, resources))

    return register


def register_replay_handlers(jde: Any = None, resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """Both flows' replays with a given ``jde`` or ``resources`` (``flow_replays``), what the flow tests
    replay with; the flow modules import this one, so they are imported on call."""
    from connector_assets.integrations.coupa_jde import invoices, payments

    for flow in (invoices.FLOW, payments.FLOW):
        for register in flow.replays:
            register(resources, jde)


def _replay_jde(jde: Any, resources: Callable[[], dict[str, Any]] | None) -> Any:
    """The JDE resource the replays write with: the one given, else the resources' one, else today's."""
    if jde is not None:
        return jde
    built = shared_value(("resources", id(resources)), resources) if resources is not None else {}
    return built.get("jde") or shared_value("coupa_jde_settings_jde", jde_from_settings)
