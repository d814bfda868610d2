"""How a Coupa -> JDE record is written again (``Replay.write`` of both flows): queued vouchers and payments.

With Coupa among the replay's resources each queued record is read from Coupa again and its current version
mapped with today's tables; given a JDE alone, the queued payload is written as mapped unless a newer
version has been seen since. The flows' own builder, not ``JdeTarget.replay``, because that version rule
is Coupa's (the record's ``coupa_updated_at``).
"""

from typing import Any

from connector_assets.flows.core import FlowSpec, replay_handler
from connector_assets.flows.documents import newest_seen
from connector_assets.flows.replays import HandlerBuilder, Resources
from connector_assets.jde.target_base import JdeTarget
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import ReplayHandler, ReplayOutcome, shared_context, shared_value


def coupa_written(target_class: type[JdeTarget]) -> HandlerBuilder:
    """A Coupa -> JDE flow's handler builder: written through ``target_class`` on the resources' JDE (one
    session per replay and ledger), re-read from Coupa when the resources have it (module docstring)."""

    def write(spec: FlowSpec, resources: Resources) -> ReplayHandler:
        def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
            # Built and opened once per replay (``ReplayScope``): remap and write share them, and so do the
            # replay's other records.
            built: dict[str, Any] = shared_value(("resources", id(resources)), resources)
            if "coupa" not in built and (superseded := _superseded(spec, item, ledger)):
                return ReplayOutcome(None, "skip", superseded)
            resource = built["jde"]
            target_key = ("target", spec.name, id(resource), id(ledger))
            opened = {"jde": resource}
            inner = replay_handler(
                spec,
                lambda: shared_context(target_key, lambda: target_class.for_replay(opened, ledger, spec)),
                (lambda: built) if "coupa" in built else None,
            )
            return inner(item, ledger)

        return handle

    return write


def _superseded(spec: FlowSpec, item: QueueItem, ledger: Ledger) -> str:
    """Why the queued payload is not written (a newer version from Coupa has been seen since), "" if it is."""
    version = str((item.payload.get("fields") or {}).get("coupa_updated_at") or "")
    newest = newest_seen(ledger, spec, item.source_key.split(":", 1)[0])
    if version and newest and version < newest:
        return f"superseded by a newer version from Coupa ({newest}); not applied"
    return ""
