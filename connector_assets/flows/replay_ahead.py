"""A replay's queued records of one flow, claimed and searched in the target a chunk at a time, as a write
step's records are (``flows.found_ahead``), where the target searches many keys in one call
(``BatchFinder``): docs/flows.md, "The write step's ledger work".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from connector_assets.flows.found_ahead import claim_and_search, release_claims
from connector_assets.flows.records import FlowSpec, Mapped, Rejected
from connector_assets.flows.write_once import UNSEARCHED, Claimed, Lease
from connector_resources.redaction import get_logger
from connector_resources.replay import shared_value

if TYPE_CHECKING:
    from connector_resources.ledger import Ledger, QueueItem

log = get_logger(__name__)


def payload_key(natural_key: object) -> str:
    """A natural key as a queued payload holds it (``Mapped.to_payload``: JSON, values as text)."""
    return json.dumps(natural_key, default=str, sort_keys=True)


@dataclass
class HeldAhead:
    """The claims (and answers) of one flow's chunk of a replay, by source key, with the natural key each
    answer is for; ``stale`` once a record was written under another key than it was searched by."""

    claims: dict[str, tuple[str, Claimed]] = field(default_factory=dict)
    stale: bool = False
    # The chunk's records read from the source again in one ``remap`` call: by source key, when, and what.
    remapped: dict[str, tuple[datetime, list[Mapped | Rejected]]] = field(default_factory=dict)

    def take(self, record: Mapped) -> dict[str, Claimed] | None:
        """``write_record``'s ``preloaded`` for ``record``: its claim, with the batch's answer unless the
        record is searched alone (module docstring); None when nothing was claimed for it."""
        held = self.claims.pop(record.source_key, None)
        if held is None:
            return None
        searched_by, claimed = held
        if payload_key(record.natural_key) != searched_by:
            self.stale = True
        if self.stale:
            claimed = replace(claimed, found=UNSEARCHED)
        return {record.source_key: claimed}


def _queued(item: QueueItem) -> Mapped | None:
    """The record as queued with ``item``, or None when it was never mapped (its replay says why)."""
    payload = item.payload
    if (
        not isinstance(payload, dict)
        or not payload.get("body")
        or payload.get("source_key") != item.source_key
    ):
        return None
    try:
        return Mapped.from_payload(payload)
    except (KeyError, TypeError):
        return None


def held_ahead(spec: FlowSpec, ledger: Ledger) -> HeldAhead:
    """The replay's claims ahead for ``spec``'s records (one per replay; outside a replay, an empty one)."""
    return shared_value(("replay ahead", spec.flow, id(ledger)), HeldAhead)


def replay_ahead(
    spec: FlowSpec,
    open_target: Callable[[], AbstractContextManager[object]],
    items: Sequence[QueueItem],
    ledger: Ledger,
) -> Callable[[], None]:
    """Claim and search the records of ``items`` (one flow's, taken by this replay) at once, for the
    handler's writes to use (``held_ahead``); returns what ends the claims no write used."""
    lease = Lease.for_writer(None)  # the replay's own owner, as each of its writes uses
    held = held_ahead(spec, ledger)
    records = [record for record in map(_queued, items) if record is not None]
    if len(records) > 1:
        try:
            with open_target() as target:
                if callable(getattr(target, "find_many", None)):
                    claimed = claim_and_search(spec, target, ledger, lease, records)
                    by_key = {record.source_key: payload_key(record.natural_key) for record in records}
                    held.claims = {key: (by_key[key], claim) for key, claim in claimed.items()}
                    held.stale = False
        except Exception as exc:  # the target would not open: each record's write meets it, as before
            log.warning("%s: could not search %d queued records at once: %s", spec.flow, len(records), exc)

    def release() -> None:
        keys, held.claims = list(held.claims), {}
        release_claims(spec, ledger, lease, keys)

    return release
